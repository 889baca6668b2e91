// Command-line parsing for `lab audit`. Hand-written rather than node:util parseArgs because
// `--init` takes an optional value, and every mistake must name the option and what it allows.

import { existsSync, statSync } from 'node:fs';
import { INSTANT_SYNTAX, readInstant } from '@runtime-lab/values';
import { DURATION_SYNTAX, parseDuration } from './duration.js';
import { AuditError } from './errors.js';
import type { Severity } from './evaluate.js';
import { normalizeSelector, SELECTOR_SYNTAX } from './selector.js';

export type Format = 'text' | 'json' | 'junit';

export interface AuditArgs {
  command: 'audit' | 'help' | 'init';
  prometheus?: string;
  metrics: string[];
  windowSeconds: number;
  /** Epoch ms; undefined means now. */
  endMs?: number;
  stepSeconds?: number;
  selector: string;
  durationSeconds: number;
  intervalSeconds: number;
  config?: string;
  format: Format;
  failOn: Severity;
  output?: string;
  /** Alert rule files for the timeline; empty: the rules generated from the thresholds in use. */
  rules: string[];
  initPath: string;
  force: boolean;
}

export const DEFAULTS = {
  windowSeconds: 300,
  durationSeconds: 15,
  intervalSeconds: 1,
  initPath: 'lab-audit.yml',
} as const;

const VALUE_OPTIONS = [
  '--prometheus',
  '--metrics',
  '--window',
  '--end',
  '--step',
  '--selector',
  '--duration',
  '--interval',
  '--config',
  '--format',
  '--fail-on',
  '--output',
  '--rules',
];
const FLAG_OPTIONS = ['--help', '-h', '--init', '--force'];
const PROMETHEUS_ONLY = ['--window', '--end', '--step', '--selector'];
const METRICS_ONLY = ['--duration', '--interval'];

function usage(message: string): AuditError {
  return new AuditError('LAB_AUDIT_USAGE', `${message} (see lab audit --help)`);
}

function httpUrl(option: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usage(`${option} must be an http(s) URL; got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usage(`${option} must be an http(s) URL; got ${JSON.stringify(value)}`);
  return value;
}

function duration(option: string, value: string, min: number): number {
  const seconds = parseDuration(value);
  if (seconds === undefined) throw usage(`${option} must be ${DURATION_SYNTAX}; got ${JSON.stringify(value)}`);
  if (seconds < min) throw usage(`${option} must be at least ${min}s; got ${value}`);
  return seconds;
}

// A time without an offset is refused rather than read in the machine's zone (see readInstant).
function endTime(value: string): number {
  const reading = readInstant(value);
  if (!reading.ok) throw usage(`--end must be ${INSTANT_SYNTAX}; ${reading.problem}`);
  return reading.epochMs;
}

// Comma-separated or repeated, as `lab run --rules` takes them; each must be a readable file.
function ruleFiles(value: string): string[] {
  const files = value.split(',').map((file) => file.trim());
  if (files.some((file) => file === ''))
    throw usage(`--rules takes Prometheus rule files, comma-separated or repeated; got ${JSON.stringify(value)}`);
  const missing = files.filter((file) => !existsSync(file) || !statSync(file).isFile());
  if (missing.length > 0) throw usage(`--rules: no such file: ${missing.join(', ')}; give Prometheus rule files (YAML with "groups:")`);
  return files;
}

function oneOf<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw usage(`${option} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`);
  return value as T;
}

export function parseAuditArgs(argv: string[]): AuditArgs {
  const args: AuditArgs = {
    command: 'audit',
    metrics: [],
    windowSeconds: DEFAULTS.windowSeconds,
    selector: '',
    durationSeconds: DEFAULTS.durationSeconds,
    intervalSeconds: DEFAULTS.intervalSeconds,
    format: 'text',
    failOn: 'critical',
    rules: [],
    initPath: DEFAULTS.initPath,
    force: false,
  };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const name = eq === -1 ? raw : raw.slice(0, eq);
    if (FLAG_OPTIONS.includes(name)) {
      if (name === '--help' || name === '-h') return { ...args, command: 'help' };
      if (name === '--force') args.force = true;
      if (name === '--init') {
        args.command = 'init';
        if (eq !== -1) args.initPath = raw.slice(eq + 1);
        else if (argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('-')) args.initPath = argv[++i] as string;
      }
      continue;
    }
    if (!VALUE_OPTIONS.includes(name)) {
      throw usage(
        `unknown ${raw.startsWith('-') ? 'option' : 'argument'} ${JSON.stringify(raw)}; options: ${[...VALUE_OPTIONS, '--init', '--force', '--help'].join(' ')}`,
      );
    }
    const value = eq !== -1 ? raw.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq === -1 && value.startsWith('--'))) throw usage(`${name} needs a value`);
    if (seen.has(name) && name !== '--metrics' && name !== '--rules') throw usage(`${name} given twice`);
    seen.add(name);
    switch (name) {
      case '--prometheus':
        args.prometheus = httpUrl(name, value);
        break;
      case '--metrics':
        args.metrics.push(httpUrl(name, value));
        break;
      case '--window':
        args.windowSeconds = duration(name, value, 1);
        break;
      case '--end':
        args.endMs = endTime(value);
        break;
      case '--step':
        args.stepSeconds = duration(name, value, 0.001);
        break;
      case '--selector': {
        const selector = normalizeSelector(value);
        if (selector === undefined) throw usage(`--selector must be ${SELECTOR_SYNTAX}; got ${JSON.stringify(value)}`);
        args.selector = selector;
        break;
      }
      case '--duration':
        args.durationSeconds = duration(name, value, 1);
        break;
      case '--interval':
        args.intervalSeconds = duration(name, value, 0.1);
        break;
      case '--config':
        args.config = value;
        break;
      case '--format':
        args.format = oneOf(name, value, ['text', 'json', 'junit'] as const);
        break;
      case '--fail-on':
        args.failOn = oneOf(name, value, ['critical', 'degraded'] as const);
        break;
      case '--output':
        args.output = value;
        break;
      case '--rules':
        args.rules.push(...ruleFiles(value));
        break;
    }
  }
  if (args.command === 'init') return args;
  if (args.prometheus && args.metrics.length > 0) throw usage('give either --prometheus or --metrics, not both');
  if (!args.prometheus && args.metrics.length === 0) throw usage('say what to audit: --prometheus URL or --metrics URL');
  const misplaced = args.prometheus ? METRICS_ONLY.filter((o) => seen.has(o)) : PROMETHEUS_ONLY.filter((o) => seen.has(o));
  if (misplaced.length > 0) throw usage(`${misplaced.join(', ')} only applies to ${args.prometheus ? '--metrics' : '--prometheus'}`);
  if (args.metrics.length > 0 && args.intervalSeconds > args.durationSeconds) throw usage('--interval must not exceed --duration');
  return args;
}

export const HELP = `Usage: lab audit (--prometheus URL | --metrics URL...) [options]
       lab audit --init [PATH] [--force]

A CI gate for runtime health: judges event-loop starvation, ELU saturation, executor queue
amplification, threadpool starvation, concurrency saturation (Little's law), backlog growth,
scrape gaps and stale snapshots against the thresholds file, and exits non-zero at --fail-on.

Source (exactly one):
  --prometheus URL     Prometheus base URL (e.g. http://127.0.0.1:9090): range queries over --window,
                       using the same PromQL as the generated alert rules
  --metrics URL        a metrics endpoint, normally a service's watchdog port
                       (e.g. http://127.0.0.1:9464/metrics), scraped every --interval for --duration;
                       repeat to audit several endpoints at once

With --prometheus:
  --window DUR         how far back to look (default 5m); at least the longest enabled for: plus
                       one --step, or exit 2 (shorter could never raise a finding)
  --end TIME           end of the window: RFC 3339 with an offset (2026-11-29T18:47:01Z,
                       ...+09:00) or unix seconds (default: now); a time without an offset
                       is refused, never read in this machine's zone
  --step DUR           resolution of the range queries (default 2s, coarser for long windows)
  --selector MATCHERS  label matchers added to every query, e.g. job="api"

With --metrics:
  --duration DUR       how long to sample (default 15s); at least half the thresholds' range
                       (before that rates have no data) + the longest enabled for: + one
                       --interval, or exit 2 (shorter could never raise a finding)
  --interval DUR       time between scrapes (default 1s; each scrape times out at 90% of it)

Output and verdict:
  --config PATH        thresholds file (default: $LAB_AUDIT_CONFIG, else the lab's
                       prometheus/thresholds.yml)
  --format FMT         text (default), json or junit
  --output PATH        write the report to PATH instead of stdout (a one-line status still prints)
  --fail-on LEVEL      critical (default) or degraded: the lowest severity that fails the run

Alert timeline (never changes the verdict or the exit code):
  --rules FILE[,FILE]  alert rule files to evaluate over the window (repeatable; default: the
                       lab's alert rules generated from the thresholds file in use, which for
                       the lab's own thresholds is prometheus/rules/alerts.yml). Each alert's
                       pending, firing and resolved times (RFC 3339, UTC) go with the findings
                       they match (same alert name and target), relative to the finding's
                       start; alerts that never fired are listed. Evaluated by Prometheus's rule
                       engine (promtool test rules; without promtool the report says so):
                       with --metrics over the audit's own scrapes (no history before them),
                       with --prometheus over the raw samples stored there, at its evaluation
                       interval; when that Prometheus has the alerts loaded, its ALERTS series
                       are shown too

Other:
  --init [PATH]        write a commented default thresholds file (default ./lab-audit.yml);
                       refuses to overwrite an existing file unless --force
  -h, --help           this help

Durations use Prometheus's notation: 500ms, 10s, 5m, 1m30s.

Exit codes:
  0  healthy, or findings below --fail-on
  1  at least one finding at or above --fail-on
  2  usage, config or connection error (bad option, malformed thresholds file with file:line,
     unreachable target, no runtime metrics at the target)
`;
