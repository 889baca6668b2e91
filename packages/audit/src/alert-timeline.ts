// "Would our alerts have fired, and when?" for the audited window: the alert rules (the ones
// generated from the thresholds in use, or the user's --rules files) evaluated with Prometheus's
// rule engine — `promtool test rules`, through @runtime-lab/scrape's evaluator, the same one the
// scenario report uses — over what the audit read: its own scrapes (--metrics) or the raw samples
// stored in the Prometheus it audits (--prometheus). When that Prometheus has the same alerts
// loaded, what it recorded (its ALERTS series) is shown beside the replay.
import {
  alertNamesIn,
  type AlertHistory,
  type AlertTimeline,
  evaluateInputSeries,
  type Families,
  type InputSeries,
  inputSeries,
  type StoredSeries,
  storedInputSeries,
} from '@runtime-lab/scrape';
import { parse } from 'yaml';
import { formatDuration, parseDuration } from './duration.js';
import { ruleInputs } from './rule-inputs.js';
import type { Attempt } from './scrape-points.js';
import { joinSelectors } from './selector.js';
import { callPrometheus } from './sources/prometheus-api.js';

/** One alert series' episodes, in epoch milliseconds. */
export interface AlertEpisode {
  pendingAtMs: number;
  /** null: never went firing in this episode. */
  firingAtMs: number | null;
  /** null: still active at the end of the window. */
  resolvedAtMs: number | null;
}

export interface AlertSeries {
  alertname: string;
  /** Rule labels and the series' own, without alertname and alertstate. */
  labels: Record<string, string>;
  episodes: AlertEpisode[];
}

/** What the audited Prometheus itself recorded for the same alert names. */
export type RecordedAlerts =
  | {
      available: true;
      /** e.g. "ALERTS series of http://127.0.0.1:9090 (rule group evaluated every 2s)". */
      source: string;
      intervalSeconds: number;
      /** The rule files' alert names that Prometheus has loaded (its own definitions of them). */
      loaded: string[];
      alerts: AlertSeries[];
    }
  | { available: false; reason: string };

export interface AlertsSection {
  /** The rule files evaluated (the generated lab rules are named after their thresholds file). */
  ruleFiles: string[];
  evaluated: boolean;
  /** Which engine produced the times, e.g. "promtool test rules (promtool, version 2.42.0 …), evaluation interval 2s". */
  evaluator: string | null;
  /** Why nothing was evaluated (evaluated: false). */
  reason?: string;
  intervalSeconds?: number;
  /** Epoch ms where evaluation began: the window's start, or earlier by the rules' lookback. */
  evaluatedFromMs: number;
  /** Alert series with an episode that overlaps the window. */
  alerts: AlertSeries[];
  /** Alert names (from the rule files) that never went firing in the window. */
  neverFired: string[];
  /** What these times can and cannot say, for the source at hand. */
  caveats: string[];
  /** --prometheus only. */
  recorded?: RecordedAlerts;
}

export interface TimelineWindow {
  startMs: number;
  endMs: number;
}

/** The label a --metrics endpoint's series get for `job` (there is no scrape config to name it). */
export const METRICS_JOB = 'lab-audit';

function absolute(history: AlertHistory[], zeroMs: number, window: TimelineWindow): AlertSeries[] {
  const at = (seconds: number): number => Math.round(zeroMs + seconds * 1000);
  return history
    .map((alert) => ({
      alertname: alert.alertname,
      labels: alert.labels,
      episodes: alert.episodes
        .map((e) => ({
          pendingAtMs: at(e.pendingAtSeconds),
          firingAtMs: e.firingAtSeconds === null ? null : at(e.firingAtSeconds),
          resolvedAtMs: e.resolvedAtSeconds === null ? null : at(e.resolvedAtSeconds),
        }))
        // Episodes over before the window opened belong to the lookback, not to the audit.
        .filter((e) => e.resolvedAtMs === null || e.resolvedAtMs > window.startMs),
    }))
    .filter((alert) => alert.episodes.length > 0);
}

function neverFiredOf(ruleFiles: readonly string[], alerts: AlertSeries[]): string[] {
  const fired = new Set(alerts.filter((a) => a.episodes.some((e) => e.firingAtMs !== null)).map((a) => a.alertname));
  return alertNamesIn(ruleFiles).filter((name) => !fired.has(name));
}

function section(
  timeline: AlertTimeline,
  zeroMs: number,
  window: TimelineWindow,
  ruleFiles: readonly string[],
  names: readonly string[],
  caveats: string[],
): AlertsSection {
  if (!timeline.evaluated) {
    return {
      ruleFiles: [...names],
      evaluated: false,
      evaluator: null,
      reason: timeline.reason,
      evaluatedFromMs: zeroMs,
      alerts: [],
      neverFired: [],
      caveats,
    };
  }
  const alerts = absolute(timeline.alerts, zeroMs, window);
  return {
    ruleFiles: [...names],
    evaluated: true,
    evaluator: timeline.evaluator,
    intervalSeconds: timeline.intervalSeconds,
    evaluatedFromMs: zeroMs,
    alerts,
    neverFired: neverFiredOf(ruleFiles, alerts),
    caveats,
  };
}

/** Failure of the evaluation is a reason in the report, never a failed audit. */
function notEvaluated(error: unknown): AlertTimeline {
  return { evaluated: false, reason: `alerts not evaluated: ${error instanceof Error ? error.message : String(error)}` };
}

export interface RuleSet {
  /** Files to hand promtool. */
  files: string[];
  /** How the report names them (the generated file by what it was generated from). */
  names: string[];
}

/**
 * --metrics: the rules over the audit's own scrapes of each endpoint, one evaluation per scrape
 * (`intervalSeconds`), every series labelled job="lab-audit", instance=<the URL>.
 */
export async function metricsAlerts(
  history: ReadonlyMap<string, readonly Attempt[]>,
  window: TimelineWindow,
  intervalSeconds: number,
  rules: RuleSet,
): Promise<AlertsSection> {
  const series: InputSeries[] = [];
  let endSeconds = 0;
  for (const [url, attempts] of history) {
    const scrapes = attempts.map((a) => ({
      atSeconds: ((a.dueMs ?? a.atMs) - window.startMs) / 1000,
      families: a.families ?? (new Map() as Families),
      up: a.families !== undefined,
    }));
    for (const s of scrapes) endSeconds = Math.max(endSeconds, Math.round(s.atSeconds / intervalSeconds) * intervalSeconds);
    series.push(...inputSeries(scrapes, intervalSeconds, { job: METRICS_JOB, instance: url }));
  }
  const steps = Math.round(endSeconds / intervalSeconds) + 1;
  // inputSeries sizes each endpoint's rows to its own scrapes; promtool wants them all as long.
  const padded = series.map((s) => {
    const values = s.values.split(' ');
    return { series: s.series, values: [...values, ...Array.from({ length: steps - values.length }, () => '_')].join(' ') };
  });
  const timeline = await evaluateInputSeries(padded, endSeconds, { ruleFiles: rules.files, intervalSeconds }).catch(notEvaluated);
  const caveats = [
    `evaluated over this audit's own scrapes only (${formatDuration(intervalSeconds)} apart, one evaluation per scrape): nothing before the first scrape is known, so an alert already pending or firing when the audit started shows as going pending at its start, and for: and range windows start counting there`,
    `an alert whose for: plus range is longer than what was scraped could not have fired here, whatever the service did`,
    `series carry job="${METRICS_JOB}" and instance=<the scraped URL>, not the target labels a Prometheus would add: a rule that selects on job or other target labels does not match them`,
    'no Prometheus was involved: what your Prometheus actually recorded is not known (audit it with --prometheus for that)',
  ];
  return section(timeline, window.startMs, window, rules.files, rules.names, caveats);
}

export interface PrometheusIntervals {
  scrapeSeconds: number;
  evaluationSeconds: number;
  /** Where the intervals came from, for the caveats. */
  from: string;
}

/** Prometheus's global scrape and evaluation intervals (its defaults, 1m, when the config omits them). */
export async function prometheusIntervals(url: string): Promise<PrometheusIntervals> {
  try {
    const { yaml } = await callPrometheus<{ yaml: string }>(url, '/api/v1/status/config', {}, 15_000, 'GET');
    const global = (parse(yaml) as { global?: Record<string, unknown> } | null)?.global ?? {};
    const read = (key: string): number => (typeof global[key] === 'string' ? parseDuration(global[key] as string) : undefined) ?? 60;
    return { scrapeSeconds: read('scrape_interval'), evaluationSeconds: read('evaluation_interval'), from: `${url}/api/v1/status/config` };
  } catch (error) {
    // A proxy in front of Prometheus may not pass the status API: assume the lab's intervals, and say so.
    return {
      scrapeSeconds: 2,
      evaluationSeconds: 2,
      from: `the lab's 2s (${url}/api/v1/status/config unavailable: ${(error as Error).message})`,
    };
  }
}

interface RuleGroup {
  name: string;
  file: string;
  interval: number;
  lastEvaluation?: string;
  rules: Array<{ name: string; type: string }>;
}

async function loadedGroups(url: string): Promise<RuleGroup[] | string> {
  try {
    return (await callPrometheus<{ groups: RuleGroup[] }>(url, '/api/v1/rules', { type: 'alert' }, 15_000, 'GET')).groups ?? [];
  } catch (error) {
    return `${url}/api/v1/rules unavailable: ${(error as Error).message}`;
  }
}

interface MatrixResult {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** Raw samples of `selector` over (endS − rangeS, endS], as Prometheus stored them. */
async function rawSamples(url: string, selector: string, endS: number, rangeS: number): Promise<MatrixResult[]> {
  const data = await callPrometheus<{ resultType: string; result: MatrixResult[] }>(url, '/api/v1/query', {
    query: `${selector}[${Math.ceil(rangeS)}s]`,
    time: String(endS),
  });
  return data.resultType === 'matrix' ? data.result : [];
}

function withSelector(metric: string, selector: string): string {
  return selector === '' ? metric : `${metric}{${selector}}`;
}

/**
 * Recorded ALERTS samples folded into episodes: a gap longer than 1.5 evaluation intervals ends
 * one; it resolved at the first evaluation without it (last sample + one interval), unless that
 * is past the window's end.
 */
export function recordedEpisodes(results: MatrixResult[], intervalSeconds: number, window: TimelineWindow): AlertSeries[] {
  const bySeries = new Map<string, { alert: AlertSeries; samples: Array<{ t: number; firing: boolean }> }>();
  for (const result of results) {
    const { __name__: _name, alertname = '', alertstate, ...labels } = result.metric;
    const key = JSON.stringify([alertname, Object.entries(labels).sort()]);
    const entry = bySeries.get(key) ?? { alert: { alertname, labels, episodes: [] }, samples: [] };
    bySeries.set(key, entry);
    for (const [t] of result.values) entry.samples.push({ t, firing: alertstate === 'firing' });
  }
  const out: AlertSeries[] = [];
  for (const { alert, samples } of bySeries.values()) {
    samples.sort((a, b) => a.t - b.t);
    let episode: AlertEpisode | undefined;
    let last = Number.NEGATIVE_INFINITY;
    const close = (): void => {
      if (!episode) return;
      const resolved = (last + intervalSeconds) * 1000;
      episode.resolvedAtMs = resolved <= window.endMs ? Math.round(resolved) : null;
    };
    for (const { t, firing } of samples) {
      if (t === last) {
        if (firing && episode && episode.firingAtMs === null) episode.firingAtMs = Math.round(t * 1000);
        continue;
      }
      if (!episode || t - last > 1.5 * intervalSeconds) {
        close();
        episode = { pendingAtMs: Math.round(t * 1000), firingAtMs: null, resolvedAtMs: null };
        alert.episodes.push(episode);
      }
      if (firing && episode.firingAtMs === null) episode.firingAtMs = Math.round(t * 1000);
      last = t;
    }
    close();
    alert.episodes = alert.episodes.filter((e) => e.resolvedAtMs === null || e.resolvedAtMs > window.startMs);
    if (alert.episodes.length > 0) out.push(alert);
  }
  return out.sort((a, b) => JSON.stringify([a.alertname, a.labels]).localeCompare(JSON.stringify([b.alertname, b.labels])));
}

async function recordedAlerts(
  url: string,
  names: string[],
  groups: RuleGroup[] | string,
  window: TimelineWindow,
  fromMs: number,
  selector: string,
): Promise<{ recorded: RecordedAlerts; evaluatedAtMs?: number }> {
  if (typeof groups === 'string') return { recorded: { available: false, reason: groups } };
  const mine = groups.filter((g) => g.rules.some((r) => r.type === 'alerting' && names.includes(r.name)));
  const loaded = [...new Set(mine.flatMap((g) => g.rules.filter((r) => names.includes(r.name)).map((r) => r.name)))].sort();
  if (loaded.length === 0) {
    const count = groups.reduce((n, g) => n + g.rules.length, 0);
    return {
      recorded: {
        available: false,
        reason: `${url} has none of these alerts loaded (its /api/v1/rules lists ${count} alerting rule${count === 1 ? '' : 's'}), so it recorded nothing to compare with`,
      },
    };
  }
  const intervalSeconds = Math.max(...mine.map((g) => g.interval));
  const matcher = joinSelectors(`alertname=~"${loaded.join('|')}"`, selector);
  const results = await rawSamples(url, `ALERTS{${matcher}}`, window.endMs / 1000, (window.endMs - fromMs) / 1000);
  // ALERTS samples carry the group's scheduled evaluation time, to the millisecond.
  const stamp = results[0]?.values[0]?.[0];
  return {
    recorded: {
      available: true,
      source: `ALERTS series of ${url} (its own definitions of ${loaded.join(', ')}; rule group evaluated every ${formatDuration(intervalSeconds)})`,
      intervalSeconds,
      loaded,
      alerts: recordedEpisodes(results, intervalSeconds, window),
    },
    ...(stamp === undefined ? {} : { evaluatedAtMs: Math.round(stamp * 1000) }),
  };
}

/**
 * An instant at which the loaded group evaluates, so the replay's steps fall on the same instants:
 * a recorded ALERTS sample's time (exact), else the group's lastEvaluation (its actual start, a few
 * milliseconds after the scheduled instant).
 */
function phaseMs(groups: RuleGroup[] | string, names: string[], evaluationSeconds: number, recordedAtMs?: number): number | undefined {
  if (recordedAtMs !== undefined) return recordedAtMs;
  if (typeof groups === 'string') return undefined;
  const group = groups.find((g) => g.interval === evaluationSeconds && g.rules.some((r) => names.includes(r.name)) && g.lastEvaluation);
  const at = group?.lastEvaluation ? Date.parse(group.lastEvaluation) : Number.NaN;
  return Number.isFinite(at) && at > 0 ? at : undefined;
}

/** Most sample columns in the replay (bounds promtool's input for long windows). */
const MAX_SAMPLE_COLUMNS = 20_000;

/**
 * The grid the stored samples are placed on: a tenth of the finer of the scrape and evaluation
 * intervals, so moving a sample to the grid point at or after it shifts it by little. On a 1 s grid,
 * rate() over shifted timestamps crossed a threshold one evaluation later than Prometheus did (the
 * integration test's ELU alert). Coarser for long spans; always a whole fraction of the evaluation
 * interval, so evaluations fall on grid points.
 */
export function sampleGridSeconds(scrapeSeconds: number, evaluationSeconds: number, spanSeconds: number): number {
  const finest = Math.min(scrapeSeconds, evaluationSeconds) / 10;
  const affordable = spanSeconds / MAX_SAMPLE_COLUMNS;
  const parts = Math.max(1, Math.floor(evaluationSeconds / Math.max(finest, affordable)));
  return evaluationSeconds / parts;
}

/** Longest lookback fetched before the window (bounds the data and promtool's work). */
const MAX_LOOKBACK_SECONDS = 3600;

/**
 * --prometheus: the rules replayed over the raw samples that Prometheus stored for the metrics
 * they read (with --selector), from the rules' lookback before the window to its end, at
 * Prometheus's own evaluation interval; and what that Prometheus recorded, when it has the alerts.
 */
export async function prometheusAlerts(url: string, window: TimelineWindow, selector: string, rules: RuleSet): Promise<AlertsSection> {
  const names = alertNamesIn(rules.files);
  const { metrics, lookbackSeconds } = ruleInputs(rules.files);
  const [intervals, groups] = await Promise.all([prometheusIntervals(url), loadedGroups(url)]);
  const evaluation = intervals.evaluationSeconds;
  // Read back independently of the replay's lookback, so an episode that began earlier shows its true start.
  const recordedFromMs = window.startMs - MAX_LOOKBACK_SECONDS * 1000;
  const { recorded, evaluatedAtMs } = await recordedAlerts(url, names, groups, window, recordedFromMs, selector).catch(
    (error: unknown): { recorded: RecordedAlerts; evaluatedAtMs?: number } => ({
      recorded: { available: false, reason: `could not read its ALERTS: ${(error as Error).message}` },
    }),
  );
  const lookback = Math.min(MAX_LOOKBACK_SECONDS, lookbackSeconds + evaluation);
  const sample = sampleGridSeconds(intervals.scrapeSeconds, evaluation, (window.endMs - window.startMs) / 1000 + lookback);
  let zeroMs = window.startMs - lookback * 1000;
  const phase = phaseMs(groups, names, evaluation, evaluatedAtMs);
  // Align the first evaluation to the loaded group's own instants (k intervals before its last one).
  if (phase !== undefined) zeroMs = phase - Math.ceil((phase - zeroMs) / (evaluation * 1000)) * evaluation * 1000;
  const endSeconds = Math.floor((window.endMs - zeroMs) / 1000 / evaluation) * evaluation;
  const steps = Math.round(endSeconds / sample);
  const caveats = [
    `replayed over the raw samples ${url} stored for ${metrics.join(', ') || 'no metric'}${selector ? ` matching {${selector}}` : ''}, from ${formatDuration(lookback)} before the window (the rules' longest range plus longest for:, and one evaluation), at its evaluation interval ${formatDuration(evaluation)} (from ${intervals.from})`,
    phase === undefined
      ? `evaluation instants are not Prometheus's own (it has not loaded these rules): each time may differ from a live Prometheus's by up to one evaluation interval (${formatDuration(evaluation)})`
      : `evaluation instants aligned to the loaded rule group's own; samples are placed on a ${formatDuration(sample)} grid (at or after their timestamps), which moves what rate() sees by up to that much, so a time may still differ from what Prometheus recorded by up to one evaluation interval`,
    'staleness is inferred (a series gone for 1.5 scrape intervals is stale); series another rule file records are not read but recomputed; per-group evaluation intervals are taken to be the global one',
  ];
  const started = { zeroMs, sample, steps };
  let timeline: AlertTimeline;
  try {
    const stored: StoredSeries[] = [];
    const fetched = await Promise.all(
      metrics.map((metric) => rawSamples(url, withSelector(metric, selector), window.endMs / 1000, (window.endMs - started.zeroMs) / 1000)),
    );
    for (const [i, results] of fetched.entries()) {
      for (const result of results) {
        const { __name__: _name, ...labels } = result.metric;
        stored.push({ name: metrics[i] as string, labels, samples: result.values.map(([t, v]) => [t, Number(v)] as const) });
      }
    }
    const series = storedInputSeries(stored, zeroMs / 1000, sample, steps, intervals.scrapeSeconds);
    timeline = await evaluateInputSeries(series, endSeconds, {
      ruleFiles: rules.files,
      intervalSeconds: evaluation,
      sampleIntervalSeconds: sample,
    });
  } catch (error) {
    timeline = notEvaluated(error);
  }
  const out = section(timeline, zeroMs, window, rules.files, rules.names, caveats);
  out.recorded = recorded;
  return out;
}
