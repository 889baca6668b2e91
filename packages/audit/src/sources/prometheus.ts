// --prometheus: evaluate every rule's PromQL (the alert's own expression) as a range query over
// the audit window, one point per step, through the HTTP API.

import { checkWindow } from '../span.js';
import { formatInstant } from '@runtime-lab/values';
import { formatDuration } from '../duration.js';
import { AuditError } from '../errors.js';
import { callPrometheus } from './prometheus-api.js';
import type { Series } from '../evaluate.js';
import type { SourceInfo } from '../report.js';
import { RULE_IDS, RULES, type RuleId } from '../rules.js';
import { ATTRIBUTED_STALL_SECONDS, ATTRIBUTED_STALLS, heldByPromql, topOf } from '../attribution.js';
import { joinSelectors } from '../selector.js';
import type { Thresholds } from '../thresholds.js';

export interface PrometheusSourceOptions {
  /** Base URL, e.g. http://127.0.0.1:9090 (a path prefix is kept). */
  url: string;
  windowSeconds: number;
  endMs: number;
  /** Resolution of the range queries; default: 2 s, coarser for long windows. */
  stepSeconds?: number;
  /** Label matchers added to every selector ('' for none). */
  selector: string;
  timeoutMs?: number;
}

interface MatrixResult {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** 2 s (the lab's scrape and evaluation interval) up to ~1000 points per series. */
export function defaultStep(windowSeconds: number): number {
  return Math.max(2, Math.ceil(windowSeconds / 1000));
}

async function queryRange(
  options: PrometheusSourceOptions,
  query: string,
  startS: number,
  endS: number,
  stepS: number,
): Promise<MatrixResult[]> {
  const params = { query, start: String(startS), end: String(endS), step: String(stepS) };
  const data = await callPrometheus<{ resultType?: string; result?: MatrixResult[] }>(
    options.url,
    '/api/v1/query_range',
    params,
    options.timeoutMs,
  );
  if (data?.resultType !== 'matrix' || !Array.isArray(data.result)) {
    throw new AuditError(
      'LAB_AUDIT_CONNECTION',
      `unexpected answer from ${options.url}/api/v1/query_range: resultType ${data?.resultType}`,
    );
  }
  return data.result;
}

function seriesOf(rule: RuleId, result: MatrixResult, query: string, stepSeconds: number): Series {
  const labels: Record<string, string> = {};
  for (const key of ['job', 'instance', ...RULES[rule].seriesLabels]) {
    const value = result.metric[key];
    if (value !== undefined) labels[key] = value;
  }
  return { rule, labels, query, stepSeconds, points: result.values.map(([t, v]) => ({ t, v: Number(v) })) };
}

/** Per target, the frame that held the loop longest over the window (where the service attributes stalls). */
async function attachHeldBy(
  options: PrometheusSourceOptions,
  series: Series[],
  thresholds: Thresholds,
  startS: number,
  endS: number,
): Promise<void> {
  const starvation = series.filter((s) => s.rule === 'event_loop_starvation');
  if (starvation.length === 0) return;
  const selector = joinSelectors(options.selector, thresholds.rules.event_loop_starvation.selector);
  // One evaluation at the window's end: start = end, the step only has to be positive.
  const [seconds, stalls] = await Promise.all(
    [ATTRIBUTED_STALL_SECONDS, ATTRIBUTED_STALLS].map((metric) =>
      queryRange(options, heldByPromql(metric, selector, endS - startS), endS, endS, 1),
    ),
  );
  for (const s of starvation) {
    const mine = (results: MatrixResult[] | undefined) =>
      new Map(
        (results ?? [])
          .filter((r) => r.metric.job === s.labels.job && r.metric.instance === s.labels.instance && r.metric.frame !== undefined)
          .map((r) => [r.metric.frame as string, Number(r.values.at(-1)?.[1] ?? 0)]),
      );
    const heldBy = topOf(mine(seconds), mine(stalls));
    if (heldBy && heldBy.stalledSeconds > 0) s.heldBy = heldBy;
  }
}

export async function queryPrometheus(
  options: PrometheusSourceOptions,
  thresholds: Thresholds,
): Promise<{ series: Series[]; source: SourceInfo }> {
  const stepSeconds = options.stepSeconds ?? defaultStep(options.windowSeconds);
  checkWindow(thresholds, options.windowSeconds, stepSeconds);
  const endS = options.endMs / 1000;
  const startS = endS - options.windowSeconds;
  const range = formatDuration(thresholds.rangeSeconds);
  const enabled = RULE_IDS.filter((id) => thresholds.rules[id].enabled);
  const results = await Promise.all(
    enabled.map(async (rule) => {
      const query = RULES[rule].promql(joinSelectors(options.selector, thresholds.rules[rule].selector), range);
      const matrix = await queryRange(options, query, startS, endS, stepSeconds);
      return matrix.map((result) => seriesOf(rule, result, query, stepSeconds));
    }),
  );
  const series = results.flat();
  await attachHeldBy(options, series, thresholds, startS, endS);
  const runtimeData = series.some((s) => s.rule !== 'scrape_gaps' && s.points.length > 0);
  const gapsSeen = series.some((s) => s.rule === 'scrape_gaps' && s.points.some((p) => p.v > 0));
  // Nothing to judge is a setup problem, unless the targets were down: that is a finding.
  if (!runtimeData && !gapsSeen) {
    const scope = options.selector ? ` matching {${options.selector}}` : '';
    throw new AuditError(
      'LAB_AUDIT_NO_DATA',
      `Prometheus at ${options.url} has no runtime_* series${scope} between ${formatInstant(startS * 1000)} and ${formatInstant(options.endMs)}; check --selector, --window and --end`,
    );
  }
  return {
    series,
    source: {
      kind: 'prometheus',
      urls: [options.url],
      detail: `window ${formatDuration(options.windowSeconds)} ending ${formatInstant(options.endMs)}, step ${formatDuration(stepSeconds)}, range ${range}${options.selector ? `, selector {${options.selector}}` : ''}`,
      startMs: startS * 1000,
      endMs: options.endMs,
    },
  };
}
