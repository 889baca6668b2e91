// Turns per-target value series into verdicts. Both sources produce the same shape (one point per
// step), and the decision mirrors a Prometheus alert: a level counts when the value stays at or
// above its threshold over consecutive points spanning at least `for`.

import type { HeldBy } from './attribution.js';
import { RULES, type RuleId } from './rules.js';
import type { Thresholds } from './thresholds.js';

export type Severity = 'degraded' | 'critical';
export type Status = 'healthy' | Severity;

export const STATUS_ORDER: Record<Status, number> = { healthy: 0, degraded: 1, critical: 2 };

export interface Point {
  /** Epoch seconds. */
  t: number;
  /** NaN when the expression had no defined value at that step (e.g. a quantile of nothing). */
  v: number;
}

/** One rule's values for one target (and pool, where the rule splits by pool). */
export interface Series {
  rule: RuleId;
  /** Identifying labels: job and instance from Prometheus, instance alone from --metrics; plus pool. */
  labels: Record<string, string>;
  points: Point[];
  /** The PromQL evaluated, or the metrics read, for the evidence line. */
  query: string;
  /** Spacing of the points; a larger gap between two points breaks a run. */
  stepSeconds: number;
  /** event_loop_starvation: the frame that held the loop longest in the window (stall attribution). */
  heldBy?: HeldBy;
}

export interface Check {
  rule: RuleId;
  alert: string;
  title: string;
  labels: Record<string, string>;
  status: Status;
  /** Highest value seen; undefined when every point was undefined. */
  peak: number | undefined;
  /** Threshold of the reported level (for healthy: the degraded threshold, for reference). */
  threshold: number;
  /** Longest time the value stayed at or above `threshold`, in seconds (0 for a single point). */
  heldSeconds: number;
  /**
   * That longest hold, in epoch seconds: its first point, and its last point at or above the
   * threshold unless the hold lasted to the end of the window (`endS` undefined: still going).
   * Undefined for a healthy check that never reached its degraded threshold.
   */
  held?: { startS: number; endS?: number };
  /** Epoch seconds of the first point at or above each level's threshold (however briefly). */
  firstAtOrAbove: { degraded?: number; critical?: number };
  /** The next level up, when the value reached it but did not hold it for `for`. */
  reached?: { level: Severity; threshold: number; heldSeconds: number };
  forSeconds: number;
  points: number;
  query: string;
  explanation: string;
  hint: string;
  heldBy?: HeldBy;
}

export interface Run {
  start: number;
  end: number;
}

/** Longest run of consecutive points at or above `threshold` (NaN and gaps break a run). */
export function longestRun(points: Point[], threshold: number, stepSeconds: number): Run | undefined {
  let best: Run | undefined;
  let current: Run | undefined;
  let previousT = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    const contiguous = p.t - previousT <= stepSeconds * 2;
    previousT = p.t;
    if (!(p.v >= threshold)) {
      current = undefined;
      continue;
    }
    if (current && contiguous) current.end = p.t;
    else current = { start: p.t, end: p.t };
    if (!best || current.end - current.start > best.end - best.start) best = { ...current };
  }
  return best;
}

export function evaluateSeries(series: Series, thresholds: Thresholds): Check {
  const rule = RULES[series.rule];
  const limits = thresholds.rules[series.rule];
  const defined = series.points.filter((p) => Number.isFinite(p.v));
  const peak = defined.length > 0 ? Math.max(...defined.map((p) => p.v)) : undefined;
  let status: Status = 'healthy';
  let threshold = limits.degraded;
  let heldSeconds = 0;
  let held: Check['held'];
  let reached: Check['reached'];
  const lastT = series.points.at(-1)?.t;
  const holdOf = (run: Run): NonNullable<Check['held']> =>
    run.end === lastT ? { startS: run.start } : { startS: run.start, endS: run.end };
  for (const [level, limit] of [
    ['critical', limits.critical],
    ['degraded', limits.degraded],
  ] as const) {
    const run = longestRun(series.points, limit, series.stepSeconds);
    if (run && run.end - run.start >= limits.forSeconds) {
      status = level;
      threshold = limit;
      heldSeconds = run.end - run.start;
      held = holdOf(run);
      break;
    }
    // Only the nearest level above the verdict is worth a mention.
    if (run) {
      reached = { level, threshold: limit, heldSeconds: run.end - run.start };
      if (level === 'degraded') held = holdOf(run);
    }
  }
  const firstAtOrAbove: Check['firstAtOrAbove'] = {};
  for (const [level, limit] of [
    ['degraded', limits.degraded],
    ['critical', limits.critical],
  ] as const) {
    const first = series.points.find((p) => p.v >= limit);
    if (first) firstAtOrAbove[level] = first.t;
  }
  return {
    rule: series.rule,
    alert: rule.alert,
    title: rule.title,
    labels: series.labels,
    status,
    peak,
    threshold,
    heldSeconds,
    ...(held ? { held } : {}),
    firstAtOrAbove,
    ...(reached ? { reached } : {}),
    forSeconds: limits.forSeconds,
    points: defined.length,
    query: series.query,
    explanation: rule.explanation,
    hint: rule.hint,
    ...(series.heldBy ? { heldBy: series.heldBy } : {}),
  };
}

export function worstStatus(checks: Check[]): Status {
  return checks.reduce<Status>((worst, c) => (STATUS_ORDER[c.status] > STATUS_ORDER[worst] ? c.status : worst), 'healthy');
}

/** Findings first by severity, then by rule order; healthy checks after. */
export function sortChecks(checks: Check[]): Check[] {
  const ruleOrder = Object.keys(RULES);
  return [...checks].sort(
    (a, b) =>
      STATUS_ORDER[b.status] - STATUS_ORDER[a.status] ||
      ruleOrder.indexOf(a.rule) - ruleOrder.indexOf(b.rule) ||
      JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)),
  );
}
