// Loads prometheus/thresholds.yml (or a user's copy written by `lab audit --init`): the single
// source of truth for the auditor and the generated alert rules. The `yaml` package gives
// positions; the schema is checked here so every complaint says file:line:col and what is allowed.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NumberRule, readDecimal } from '@runtime-lab/values';
import { isMap, isScalar, LineCounter, type Node, type Pair, parseDocument, Scalar, type YAMLMap } from 'yaml';
import { DURATION_SYNTAX, parseDuration } from './duration.js';
import { AuditError, ThresholdsError } from './errors.js';
import { RULE_IDS, type RuleId } from './rules.js';
import { normalizeSelector, SELECTOR_SYNTAX } from './selector.js';

export interface RuleThresholds {
  enabled: boolean;
  /** The value at or above which the rule reports DEGRADED. */
  degraded: number;
  /** The value at or above which the rule reports CRITICAL; never below `degraded`. */
  critical: number;
  /** How long the value must stay at or above a threshold before it counts (Prometheus `for:`). */
  forSeconds: number;
  /** Extra label matchers for this rule's series (alerts and --prometheus only); '' for none. */
  selector: string;
}

export interface Thresholds {
  /** Where the thresholds came from, for messages and reports. */
  file: string;
  /** Range of every rate()/…_over_time() window, in the alerts and in the audit alike. */
  rangeSeconds: number;
  rules: Record<RuleId, RuleThresholds>;
}

export const CONFIG_VERSION = 1;
const TOP_KEYS = ['version', 'range', 'rules'];
const RULE_KEYS = ['enabled', 'degraded', 'critical', 'for', 'selector'];

/** Where the lab keeps its thresholds, relative to the repo root. */
const THRESHOLDS_IN_REPO = 'prometheus/thresholds.yml';

/** Where `pnpm pack` puts a copy of the lab's thresholds inside this package (scripts/ship-thresholds.mjs), relative to dist/src. */
const SHIPPED_THRESHOLDS = '../thresholds.yml';

/**
 * The lab's own thresholds file: the first prometheus/thresholds.yml found walking up from this
 * module, else the copy shipped in the package. A fixed relative path only works in a checkout
 * (packages/audit/dist/src); `pnpm deploy` installs this package under packages/cli/node_modules/.pnpm/…,
 * and the lab image puts the repo's file at /app/prometheus/thresholds.yml, its repo path (see the
 * Dockerfile), so a walk up finds it in both without a second copy to keep in step. Installed from
 * npm there is no repo above: the tarball carries dist/thresholds.yml, copied when it was packed.
 */
export function defaultThresholdsPath(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, THRESHOLDS_IN_REPO);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  const shipped = join(from, SHIPPED_THRESHOLDS);
  if (existsSync(shipped)) return shipped;
  throw new AuditError(
    'LAB_AUDIT_CONFIG',
    `cannot find the lab's default thresholds (none shipped at ${shipped}): no ${THRESHOLDS_IN_REPO} in ${from} or any directory above it; pass --config PATH or set LAB_AUDIT_CONFIG`,
  );
}

/** Reads and validates a thresholds file (default: the lab's own); throws AuditError / ThresholdsError with a one-line message. */
export function loadThresholds(file: string = defaultThresholdsPath()): Thresholds {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new AuditError('LAB_AUDIT_CONFIG', `cannot read thresholds file ${file}: ${code}`);
  }
  return parseThresholds(text, file);
}

/** Validates thresholds given as YAML text; `file` is only used in messages. */
export function parseThresholds(text: string, file: string): Thresholds {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const fail = (offset: number | undefined, reason: string): never => {
    const pos = lines.linePos(offset ?? 0);
    throw new ThresholdsError(file, pos.line, pos.col, reason);
  };
  const firstError = doc.errors[0];
  if (firstError) fail(firstError.pos[0], `not valid YAML: ${firstError.message}`);
  const at = (node: Node | null | undefined, fallback: number): number => node?.range?.[0] ?? fallback;

  const root = doc.contents;
  if (!isMap(root)) return fail(at(root, 0), 'expected a mapping with keys version, range and rules');
  const top = entries(root, 'the top level', TOP_KEYS, fail);

  const version = top.get('version');
  if (!version) return fail(at(root, 0), `missing key "version" (write version: ${CONFIG_VERSION})`);
  const versionRule = { integer: true, min: CONFIG_VERSION, max: CONFIG_VERSION };
  if (!readYamlNumber(version.value as Node | null, versionRule).ok) {
    fail(at(version.value as Node, 0), `version must be ${CONFIG_VERSION}; got ${show(version.value)}`);
  }

  const range = top.get('range');
  if (!range) return fail(at(root, 0), 'missing key "range" (the window of rate() and *_over_time(), e.g. range: 10s)');
  const rangeSeconds = durationOf(range, 'range', fail, at);
  if (rangeSeconds <= 0) fail(at(range.value as Node, 0), 'range must be longer than 0s');

  const rulesPair = top.get('rules');
  if (!rulesPair) return fail(at(root, 0), `missing key "rules" (one entry per rule: ${RULE_IDS.join(', ')})`);
  const rulesNode = rulesPair.value as Node | null;
  if (!isMap(rulesNode)) return fail(at(rulesNode, at(rulesPair.key as Node, 0)), `rules must be a mapping of ${RULE_IDS.join(', ')}`);
  const byId = entries(rulesNode, 'rules', RULE_IDS, fail);
  const rules = {} as Record<RuleId, RuleThresholds>;
  for (const id of RULE_IDS) {
    const pair = byId.get(id);
    if (!pair) return fail(at(rulesNode, 0), `rules.${id} is missing; list every rule (set enabled: false to turn one off)`);
    rules[id] = ruleOf(pair, `rules.${id}`, fail, at);
  }
  return { file, rangeSeconds, rules };
}

type Fail = (offset: number | undefined, reason: string) => never;
type At = (node: Node | null | undefined, fallback: number) => number;

function entries(map: YAMLMap, where: string, allowed: readonly string[], fail: Fail): Map<string, Pair> {
  const out = new Map<string, Pair>();
  for (const pair of map.items) {
    const keyNode = pair.key as Node | null;
    const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
    if (key === undefined || !allowed.includes(key)) {
      fail(keyNode?.range?.[0], `unknown key ${JSON.stringify(key ?? show(keyNode))} in ${where}; allowed: ${allowed.join(', ')}`);
    }
    out.set(key as string, pair as Pair);
  }
  return out;
}

function ruleOf(pair: Pair, where: string, fail: Fail, at: At): RuleThresholds {
  const node = pair.value as Node | null;
  if (!isMap(node)) return fail(at(node, at(pair.key as Node, 0)), `${where} must be a mapping with degraded, critical and for`);
  const keys = entries(node, where, RULE_KEYS, fail);
  const numberOf = (key: 'degraded' | 'critical'): number => {
    const p = keys.get(key);
    if (!p) return fail(at(node, 0), `${where}.${key} is missing (a number >= 0)`);
    const value = p.value as Node | null;
    const reading = readYamlNumber(value, THRESHOLD_RULE);
    if (!reading.ok) return fail(at(value, at(p.key as Node, 0)), `${where}.${key} must be a number >= 0; ${reading.problem}`);
    return reading.value;
  };
  const degraded = numberOf('degraded');
  const critical = numberOf('critical');
  if (critical < degraded) {
    fail(at(keys.get('critical')?.value as Node, 0), `${where}.critical (${critical}) must be >= degraded (${degraded})`);
  }
  const forPair = keys.get('for');
  if (!forPair) return fail(at(node, 0), `${where}.for is missing (${DURATION_SYNTAX}; 0s fires at once)`);
  const forSeconds = durationOf(forPair, `${where}.for`, fail, at);
  let enabled = true;
  const enabledPair = keys.get('enabled');
  if (enabledPair) {
    const value = enabledPair.value as Node | null;
    if (!isScalar(value) || typeof value.value !== 'boolean') {
      fail(at(value, 0), `${where}.enabled must be true or false; got ${show(value)}`);
    }
    enabled = (value as { value: boolean }).value;
  }
  let selector = '';
  const selectorPair = keys.get('selector');
  if (selectorPair) {
    const value = selectorPair.value as Node | null;
    const normalized = isScalar(value) && typeof value.value === 'string' ? normalizeSelector(value.value) : undefined;
    if (normalized === undefined) fail(at(value, 0), `${where}.selector must be ${SELECTOR_SYNTAX}; got ${show(value)}`);
    selector = normalized as string;
  }
  return { enabled, degraded, critical, forSeconds, selector };
}

/** Thresholds are plain decimals >= 0 (see readYamlNumber); no upper bound but a double's. */
const THRESHOLD_RULE: NumberRule = { integer: false, min: 0, max: Number.MAX_VALUE };

/**
 * A number from a YAML scalar as it is written, by the lab's one number rule (readDecimal): the
 * YAML reader would take 0x10 as 16, 0o17 as 15, 1e3 as 1000 and .inf/.nan as numbers, and a
 * reader thinking of YAML 1.1 expects 010 to be 8; only plain decimal text is accepted, so what
 * the file says is what the auditor uses. -0 reads as 0. A quoted "0.5" is text, not a number.
 */
function readYamlNumber(node: Node | null, rule: NumberRule): { ok: true; value: number } | { ok: false; problem: string } {
  if (!isScalar(node)) return { ok: false, problem: `got ${show(node)}` };
  if (node.type !== Scalar.PLAIN || typeof node.source !== 'string') {
    return { ok: false, problem: `got ${show(node)}${typeof node.value === 'string' ? ' (quoted text, not a number)' : ''}` };
  }
  const reading = readDecimal(node.source, rule);
  return reading.ok ? { ok: true, value: reading.value } : reading;
}

function durationOf(pair: Pair, where: string, fail: Fail, at: At): number {
  const value = pair.value as Node | null;
  const seconds = isScalar(value) && typeof value.value === 'string' ? parseDuration(value.value) : undefined;
  if (seconds === undefined) return fail(at(value, at(pair.key as Node, 0)), `${where} must be ${DURATION_SYNTAX}; got ${show(value)}`);
  return seconds;
}

/** A node for messages, as it is written in the file when it is a plain scalar (".inf", "0x10"). */
function show(node: unknown): string {
  if (node === null || node === undefined) return 'nothing';
  if (isScalar(node) && node.type === Scalar.PLAIN && typeof node.source === 'string') return JSON.stringify(node.source);
  if (isScalar(node)) return JSON.stringify(node.value);
  if (isMap(node)) return 'a mapping';
  return 'a list';
}
