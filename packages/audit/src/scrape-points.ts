// The --metrics twin of each rule's PromQL (rules.ts): the same quantity computed from direct
// scrapes, one point per scrape, over the same trailing range. Counters and histograms are
// diffed between the oldest and newest scrape in the range, as rate() does (without its
// extrapolation to the range edges).

import * as metric from '@runtime-lab/metric-names';
import { type Families, increasePerSecond, samplesOf, snapshotTakenAtMs } from '@runtime-lab/scrape';
import type { Point, Series } from './evaluate.js';
import { RULES, type RuleId } from './rules.js';

export interface Attempt {
  /** Epoch milliseconds when the scrape started. */
  atMs: number;
  /**
   * When it was scheduled (start + n x interval). Points and range windows sit on this grid, as
   * Prometheus's evaluations do: with real start times, a point 2 s into a 2 s-range window
   * would flip in and out by a millisecond of jitter. Defaults to atMs.
   */
  dueMs?: number;
  families?: Families;
  error?: string;
}

interface Scraped {
  atMs: number;
  families: Families;
}

interface Value {
  labels: Record<string, string>;
  value: number;
}

/** Values at one step from the successful scrapes in range (oldest first) and every attempt. */
type PointFn = (ok: Scraped[], attempts: Attempt[], rangeSeconds: number) => Value[];

function values(scrape: Scraped, name: string, match?: Record<string, string>): number[] {
  return samplesOf(scrape.families, name, match).map((s) => s.value);
}

function maxOf(ok: Scraped[], names: string[]): number | undefined {
  const all = ok.flatMap((scrape) => names.flatMap((name) => values(scrape, name)));
  return all.length > 0 ? Math.max(...all) : undefined;
}

function avgOf(ok: Scraped[], name: string, match?: Record<string, string>): number | undefined {
  const all = ok.flatMap((scrape) => values(scrape, name, match));
  return all.length > 0 ? all.reduce((a, b) => a + b, 0) / all.length : undefined;
}

function sumAt(scrape: Scraped | undefined, name: string, match?: Record<string, string>): number | undefined {
  if (!scrape) return undefined;
  const all = values(scrape, name, match);
  return all.length > 0 ? all.reduce((a, b) => a + b, 0) : undefined;
}

// A rate needs a span comparable to the alert's: at least half the range, and never under a
// second (scrape timestamps jitter by milliseconds). Early in a short audit the range holds only
// a few seconds, and a mean over four canaries lets one frozen moment dominate; Prometheus,
// scraping all along, always has the full range.
function minRateSpanMs(rangeSeconds: number): number {
  // 90%: snapshot times jitter around the scrape grid, and a span of "exactly" half the range
  // must not come and go with it.
  return 0.9 * Math.max(1000, (rangeSeconds * 1000) / 2);
}

// Rates are taken between snapshot times, not scrape times (@runtime-lab/scrape's counters.ts says why).
function takenAtMs(scrape: Scraped): number {
  return snapshotTakenAtMs(scrape.atMs, values(scrape, metric.METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS)[0]);
}

/** Increase per second between the oldest and newest scrape; undefined across a counter reset. */
function ratePerSecond(ok: Scraped[], rangeSeconds: number, name: string, match?: Record<string, string>): number | undefined {
  const first = ok[0];
  const last = ok[ok.length - 1];
  if (!first || !last) return undefined;
  const spanMs = takenAtMs(last) - takenAtMs(first);
  if (spanMs < minRateSpanMs(rangeSeconds)) return undefined;
  return increasePerSecond(sumAt(first, name, match), sumAt(last, name, match), spanMs);
}

function poolsOf(ok: Scraped[]): string[] {
  const pools = new Set<string>();
  for (const scrape of ok) {
    for (const s of samplesOf(scrape.families, metric.METRIC_POOL_THREADS)) if (s.labels.pool !== undefined) pools.add(s.labels.pool);
  }
  return [...pools].sort();
}

/** The current attempt's scrape, as a one-element list, or none when that attempt failed. */
function latestOf(ok: Scraped[], attempts: Attempt[]): Scraped[] {
  const latest = attempts[attempts.length - 1];
  const scraped = ok[ok.length - 1];
  return latest && scraped && scraped.atMs === latest.atMs ? [scraped] : [];
}

function one(value: number | undefined): Value[] {
  return value === undefined ? [] : [{ labels: {}, value }];
}

const POINTS: Record<RuleId, PointFn> = {
  // Instant, like its PromQL: the latest scrape only, when it is the current attempt.
  event_loop_starvation: (ok, attempts) =>
    one(maxOf(latestOf(ok, attempts), [metric.METRIC_EVENTLOOP_DELAY_MAX_SECONDS, metric.METRIC_EVENTLOOP_STALL_SECONDS])),
  elu_saturation: (ok, _attempts, range) => one(ratePerSecond(ok, range, metric.METRIC_EVENTLOOP_ACTIVE_SECONDS_TOTAL)),
  executor_queue: (ok) =>
    poolsOf(ok).flatMap((pool) => {
      const queued = avgOf(ok, metric.METRIC_POOL_QUEUE_SIZE, { pool });
      const threads = avgOf(ok, metric.METRIC_POOL_THREADS, { pool });
      return queued === undefined || !threads ? [] : [{ labels: { pool }, value: queued / threads }];
    }),
  threadpool_starvation: (ok, attempts, range) => {
    const seconds = ratePerSecond(ok, range, `${metric.METRIC_THREADPOOL_CANARY_SECONDS}_sum`);
    const count = ratePerSecond(ok, range, `${metric.METRIC_THREADPOOL_CANARY_SECONDS}_count`);
    const mean = seconds !== undefined && count ? seconds / count : undefined;
    const pending = maxOf(latestOf(ok, attempts), [metric.METRIC_THREADPOOL_CANARY_PENDING_SECONDS]);
    const canary = mean === undefined ? pending : pending === undefined ? mean : Math.max(mean, pending);
    if (canary === undefined) return [];
    const loop = maxOf(ok, [metric.METRIC_EVENTLOOP_DELAY_MAX_SECONDS]);
    const elu = ratePerSecond(ok, range, metric.METRIC_EVENTLOOP_ACTIVE_SECONDS_TOTAL);
    return one(loop === undefined || elu === undefined ? canary : Math.max(0, canary - loop * elu));
  },
  concurrency_saturation: (ok, _attempts, range) =>
    poolsOf(ok).flatMap((pool) => {
      const busy = ratePerSecond(ok, range, `${metric.METRIC_POOL_RUN_SECONDS}_sum`, { pool });
      const threads = avgOf(ok, metric.METRIC_POOL_THREADS, { pool });
      return busy === undefined || !threads ? [] : [{ labels: { pool }, value: busy / threads }];
    }),
  backlog_growth: (ok) => one(maxOf(ok, [metric.METRIC_LAB_CHECKOUT_BACKLOG])),
  scrape_gaps: (_ok, attempts) => one(attempts.filter((a) => !a.families).length / attempts.length),
  stale_snapshot: (ok) => one(maxOf(ok, [metric.METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS])),
};

/**
 * One rule's series for one endpoint. Like a Prometheus evaluation step, a point is computed at
 * every attempt, failed or not, from the successful scrapes in the trailing range: one timed-out
 * scrape does not interrupt a stall that the range still shows.
 */
export function seriesFromScrapes(
  rule: RuleId,
  attempts: Attempt[],
  rangeSeconds: number,
  intervalSeconds: number,
  labels: Record<string, string>,
): Series[] {
  const bySeries = new Map<string, Series>();
  const due = (a: Attempt): number => a.dueMs ?? a.atMs;
  for (const current of attempts) {
    const inRange = attempts.filter((a) => due(a) <= due(current) && due(a) >= due(current) - rangeSeconds * 1000);
    const ok = inRange.filter((a): a is Scraped => a.families !== undefined);
    for (const { labels: extra, value } of POINTS[rule](ok, inRange, rangeSeconds)) {
      const key = JSON.stringify(extra);
      let series = bySeries.get(key);
      if (!series) {
        series = { rule, labels: { ...labels, ...extra }, points: [], query: RULES[rule].metrics, stepSeconds: intervalSeconds };
        bySeries.set(key, series);
      }
      const point: Point = { t: due(current) / 1000, v: value };
      series.points.push(point);
    }
  }
  return [...bySeries.values()];
}
