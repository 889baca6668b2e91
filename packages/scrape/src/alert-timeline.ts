// "Would our alerts have fired, and when?": evaluates Prometheus alerting rules over the scrapes a
// run took, with Prometheus's own rule engine. Prometheus evaluates rules only in real time, so a
// backfilled TSDB cannot replay them; `promtool test rules` can: it loads input series, evaluates
// the rule groups at every evaluation step (same `for:`, `keep_firing_for`, staleness and ALERTS
// series as the server) and answers PromQL queries at given times. We ask it for `ALERTS` at every
// step and read the answer from its report (the test expects nothing, so it prints what it got).
// Lives here, below both the runner and the auditor, like the exposition reader it builds on.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Families } from './exposition.js';

/** One scrape, at `atSeconds` from the start of the run (the evaluation's time 0). */
export interface TimedScrape {
  atSeconds: number;
  families: Families;
  /** false: the scrape failed (its families are empty); gives `up` 0 as a Prometheus scrape would. Default true. */
  up?: boolean;
}

/** One alert series' history: each state change at an evaluation step, in seconds from the start. */
export interface AlertHistory {
  alertname: string;
  /** The alert's labels (rule labels and the series' own), without alertname and alertstate. */
  labels: Record<string, string>;
  /** Each episode: went pending at, went firing at (null: never), resolved at (null: still active at the end). */
  episodes: { pendingAtSeconds: number; firingAtSeconds: number | null; resolvedAtSeconds: number | null }[];
}

export type AlertTimeline =
  | { evaluated: true; evaluator: string; intervalSeconds: number; endSeconds: number; alerts: AlertHistory[] }
  | { evaluated: false; reason: string };

export interface AlertTimelineOptions {
  /** Rule files (Prometheus format). */
  ruleFiles: readonly string[];
  /** Evaluation interval (default 1 s: the runner's scrape cadence). */
  intervalSeconds?: number;
  /**
   * Spacing of the input samples (default: the evaluation interval). A Prometheus that scrapes
   * every 1 s and evaluates every 2 s needs 1 s here and 2 s above, or rate() loses samples.
   */
  sampleIntervalSeconds?: number;
  /** Labels every series gets, as a Prometheus scrape would add them (e.g. { job: 'api', instance: '…' }). */
  targetLabels?: Record<string, string>;
  /** The promtool binary (default: `promtool` on PATH). */
  promtool?: string;
}

function seriesKey(name: string, labels: Record<string, string>): string {
  const pairs = Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${name}{${pairs.join(',')}}`;
}

function valueText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** One promtool input series: `name{labels}` and its values, one per sample interval, `_` for none. */
export interface InputSeries {
  series: string;
  values: string;
}

/** promtool's input_series: one line per series, `_` where a scrape did not have it. */
export function inputSeries(
  scrapes: readonly TimedScrape[],
  intervalSeconds: number,
  targetLabels: Record<string, string> = {},
): InputSeries[] {
  const steps = scrapes.length === 0 ? 0 : Math.max(...scrapes.map((s) => Math.round(s.atSeconds / intervalSeconds))) + 1;
  const bySeries = new Map<string, string[]>();
  for (const scrape of scrapes) {
    const step = Math.round(scrape.atSeconds / intervalSeconds);
    // The synthetic series Prometheus adds to every scrape, which rules on scrape health read.
    const upKey = seriesKey('up', targetLabels);
    const up = bySeries.get(upKey) ?? Array.from({ length: steps }, () => '_');
    bySeries.set(upKey, up);
    up[step] = scrape.up === false ? '0' : '1';
    for (const family of scrape.families.values()) {
      for (const sample of family.samples) {
        const key = seriesKey(sample.name, { ...sample.labels, ...targetLabels });
        const values = bySeries.get(key) ?? Array.from({ length: steps }, () => '_');
        bySeries.set(key, values);
        values[step] = valueText(sample.value);
      }
    }
  }
  return [...bySeries].map(([series, values]) => ({ series, values: values.join(' ') }));
}

/** One series read back from a Prometheus: its raw samples, [epoch seconds, value]. */
export interface StoredSeries {
  name: string;
  labels: Record<string, string>;
  samples: ReadonlyArray<readonly [number, number]>;
}

/**
 * promtool input series from raw samples, on a grid of `sampleIntervalSeconds` from `zeroSeconds`
 * (epoch) for `steps` + 1 points. A sample goes to the first grid point at or after its timestamp,
 * so a rule evaluated at a grid point sees exactly the samples Prometheus would have seen there
 * (those stamped at or before it). The API does not return staleness markers; where a series
 * skips more than 1.5 scrape intervals, or ends more than 2.5 before the last grid point, it is
 * marked `stale` one scrape interval after its last sample, as Prometheus does when a series is
 * gone at the next scrape.
 */
export function storedInputSeries(
  stored: readonly StoredSeries[],
  zeroSeconds: number,
  sampleIntervalSeconds: number,
  steps: number,
  scrapeIntervalSeconds: number,
): InputSeries[] {
  const cell = (t: number): number => Math.ceil((t - zeroSeconds) / sampleIntervalSeconds - 1e-6);
  const staleCells = Math.max(1, Math.round(scrapeIntervalSeconds / sampleIntervalSeconds));
  return stored.map(({ name, labels, samples }) => {
    const values = Array.from({ length: steps + 1 }, () => '_');
    let previous: number | undefined;
    for (const [t, value] of samples) {
      const at = cell(t);
      if (previous !== undefined && at - previous > 1.5 * staleCells && previous + staleCells <= steps)
        values[previous + staleCells] = 'stale';
      if (at >= 0 && at <= steps) values[at] = valueText(value);
      previous = at;
    }
    // At the end of the data a scrape may simply not be stored yet: only a series silent for 2.5
    // scrape intervals there is taken to be gone.
    if (previous !== undefined && previous + staleCells <= steps && steps - previous > 2.5 * staleCells)
      values[previous + staleCells] = 'stale';
    return { series: seriesKey(name, labels), values: values.join(' ') };
  });
}

const GOT_SAMPLE = /\{([^}]*)\} [^,\n]+/g;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

const DURATION_UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

/**
 * A duration as promtool prints it (Prometheus's model.Duration: "12s", "1m12s", "1s500ms"), in
 * seconds; undefined for anything else. Reading only the first unit made every time past a minute
 * collapse onto the minute ("1m12s" read as 60 s).
 */
export function goDurationSeconds(text: string): number | undefined {
  if (text === '0s') return 0;
  let seconds = 0;
  let consumed = 0;
  for (const match of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) {
    if (match.index !== consumed) return undefined;
    seconds += Number(match[1]) * (DURATION_UNIT_SECONDS[match[2] as string] as number);
    consumed += match[0].length;
  }
  return consumed === text.length && consumed > 0 ? seconds : undefined;
}

/** Parses promtool's `expr: "ALERTS", time: 12s, … got: {…} 1E+00, {…} 1E+00` blocks into step → series. */
export function parsePromtoolAlerts(output: string): Map<number, Record<string, string>[]> {
  const byTime = new Map<number, Record<string, string>[]>();
  const blocks = output.split(/\n\s*expr: /).slice(1);
  for (const block of blocks) {
    const time = /time: ([0-9a-z.]+),/.exec(block);
    const got = /got: (.*)/.exec(block);
    const seconds = time ? goDurationSeconds(time[1] as string) : undefined;
    if (seconds === undefined || !got) continue;
    const alerts: Record<string, string>[] = [];
    for (const match of (got[1] ?? '').matchAll(GOT_SAMPLE)) {
      const labels: Record<string, string> = {};
      for (const [, key, raw] of (match[1] ?? '').matchAll(LABEL)) labels[key as string] = JSON.parse(`"${raw}"`) as string;
      alerts.push(labels);
    }
    byTime.set(Math.round(seconds * 1000) / 1000, alerts);
  }
  return byTime;
}

/** Folds per-step ALERTS answers into each alert series' pending → firing → resolved episodes. */
export function foldAlertHistory(
  byTime: Map<number, Record<string, string>[]>,
  endSeconds: number,
  intervalSeconds: number,
): AlertHistory[] {
  const histories = new Map<string, AlertHistory>();
  const open = new Map<string, AlertHistory['episodes'][number]>();
  for (let step = 0; step * intervalSeconds <= endSeconds + 1e-9; step++) {
    // On the millisecond, as promtool prints times: 0.1 × 3 must find the answer for 0.3 s.
    const at = Math.round(step * intervalSeconds * 1000) / 1000;
    const seen = new Set<string>();
    for (const alert of byTime.get(at) ?? []) {
      const { alertname = '', alertstate, __name__: _name, ...labels } = alert;
      const key = seriesKey(alertname, labels);
      seen.add(key);
      const history = histories.get(key) ?? { alertname, labels, episodes: [] };
      histories.set(key, history);
      let episode = open.get(key);
      if (!episode) {
        episode = { pendingAtSeconds: at, firingAtSeconds: null, resolvedAtSeconds: null };
        history.episodes.push(episode);
        open.set(key, episode);
      }
      if (alertstate === 'firing' && episode.firingAtSeconds === null) episode.firingAtSeconds = at;
    }
    for (const [key, episode] of open) {
      if (seen.has(key)) continue;
      episode.resolvedAtSeconds = at;
      open.delete(key);
    }
  }
  return [...histories.values()].sort((a, b) => seriesKey(a.alertname, a.labels).localeCompare(seriesKey(b.alertname, b.labels)));
}

/** Seconds as a Prometheus duration in whole milliseconds ("0.5s" is not one; "500ms" is). */
function promDuration(seconds: number): string {
  return `${Math.round(seconds * 1000)}ms`;
}

function run(binary: string, args: string[]): Promise<{ code: number | null; output: string; missing: boolean }> {
  return new Promise((done) => {
    execFile(binary, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      const missing = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
      done({ code: error ? ((error as { code?: unknown }).code as number | null) : 0, output: `${stdout}${stderr}`, missing });
    });
  });
}

/**
 * Alert names the rule files define (a line-level read of `alert: Name`: promtool parses the files
 * for real; this only lists what to call "never went pending"). Unreadable files give no names.
 */
export function alertNamesIn(ruleFiles: readonly string[]): string[] {
  const names = new Set<string>();
  for (const file of ruleFiles) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const match of text.matchAll(/^\s*-?\s*alert:\s*["']?([A-Za-z_:][A-Za-z0-9_:]*)/gm)) names.add(match[1] as string);
  }
  return [...names];
}

/**
 * Evaluates the rule files over the scrapes with `promtool test rules` (Prometheus's rule engine).
 * Returns `{ evaluated: false, reason }` when promtool is absent or refuses the rules (its message).
 * Cost: one promtool process; the test file holds every series at every step.
 */
export async function evaluateAlertTimeline(scrapes: readonly TimedScrape[], options: AlertTimelineOptions): Promise<AlertTimeline> {
  const sampleSeconds = options.sampleIntervalSeconds ?? options.intervalSeconds ?? 1;
  const series = inputSeries(scrapes, sampleSeconds, options.targetLabels);
  const lastStep = scrapes.length === 0 ? 0 : Math.max(...scrapes.map((s) => Math.round(s.atSeconds / sampleSeconds)));
  return evaluateInputSeries(series, lastStep * sampleSeconds, options);
}

/**
 * The engine under evaluateAlertTimeline, for callers that already hold promtool input series
 * (e.g. samples read back from a Prometheus): evaluates the rule files at every evaluation step
 * from 0 to `endSeconds` and folds each step's ALERTS into episodes.
 */
export async function evaluateInputSeries(
  series: readonly InputSeries[],
  endSeconds: number,
  options: AlertTimelineOptions,
): Promise<AlertTimeline> {
  const intervalSeconds = options.intervalSeconds ?? 1;
  const sampleSeconds = options.sampleIntervalSeconds ?? intervalSeconds;
  const promtool = options.promtool ?? 'promtool';
  const version = await run(promtool, ['--version']);
  if (version.missing) return { evaluated: false, reason: `alerts not evaluated: ${promtool} not found (install Prometheus's promtool)` };
  const steps = Math.floor(endSeconds / intervalSeconds + 1e-9);
  // JSON is YAML: promtool reads this file as it is.
  const test = {
    rule_files: options.ruleFiles.map((file) => resolve(file)),
    evaluation_interval: promDuration(intervalSeconds),
    tests: [
      {
        interval: promDuration(sampleSeconds),
        input_series: series,
        promql_expr_test: Array.from({ length: steps + 1 }, (_, i) => ({
          expr: 'ALERTS',
          eval_time: promDuration(i * intervalSeconds),
          exp_samples: [],
        })),
      },
    ],
  };
  const dir = await mkdtemp(join(tmpdir(), 'lab-alerts-'));
  try {
    const file = join(dir, 'run.test.yml');
    await writeFile(file, JSON.stringify(test));
    const result = await run(promtool, ['test', 'rules', file]);
    // Exit 0: no alert at any step. Exit 1 with "FAILED:" and only ALERTS blocks: the alerts it saw.
    if (result.code !== 0 && !/FAILED:\s*\n\s*expr: "ALERTS"/.test(result.output)) {
      return {
        evaluated: false,
        reason: `alerts not evaluated: promtool test rules refused the rules: ${result.output.trim().split('\n').slice(0, 6).join(' ')}`,
      };
    }
    const end = steps * intervalSeconds;
    const alerts = foldAlertHistory(parsePromtoolAlerts(result.output), end, intervalSeconds);
    const evaluator = `promtool test rules (${version.output.split('\n')[0]?.trim()}), evaluation interval ${intervalSeconds}s`;
    return { evaluated: true, evaluator, intervalSeconds, endSeconds: end, alerts };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
