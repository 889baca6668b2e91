// What the runner keeps from one scrape of the service's watchdog port: the cumulative
// histograms it needs deltas of, and the gauges read as they are.
import {
  METRIC_EVENTLOOP_ACTIVE_SECONDS_TOTAL,
  METRIC_EVENTLOOP_DELAY_MAX_SECONDS,
  METRIC_EVENTLOOP_DELAY_SECONDS,
  METRIC_EVENTLOOP_STALL_SECONDS,
  METRIC_EVENTLOOP_UTILIZATION_RATIO,
  METRIC_HTTP_REQUEST_DURATION_SECONDS,
  METRIC_LAB_CHECKOUT_BACKLOG,
  METRIC_NODEJS_EVENTLOOP_LAG_MAX_SECONDS,
  METRIC_NODEJS_EVENTLOOP_LAG_P99_SECONDS,
  METRIC_POOL_QUEUE_SIZE,
  METRIC_THREADPOOL_CANARY_PENDING_SECONDS,
  METRIC_THREADPOOL_CANARY_SECONDS,
  METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS,
} from '@runtime-lab/metric-names';
import type { Bucket, Families } from '@runtime-lab/scrape';
import { bucketsOf, sumOf } from '@runtime-lab/scrape';

export interface Snapshot {
  /** Index of the scheduled scrape: k is taken at run start + k seconds. */
  index: number;
  atMs: number;
  /** Undefined when the scrape failed; the reason is kept for the report. */
  error?: string;
  serverBuckets: Bucket[];
  loopDelayBuckets: Bucket[];
  canaryBuckets: Bucket[];
  loopDelayMax?: number;
  /**
   * prom-client's nodejs_eventloop_lag_p99_seconds, for a target without the telemetry plugin: the
   * loop delay p99 since prom-client's previous collection (it resets its histogram on each one).
   */
  loopDelayP99Gauge?: number;
  loopStall?: number;
  elu?: number;
  poolQueue?: number;
  canaryPending?: number;
  backlog?: number;
  /** Age of the registry snapshot the watchdog served (seconds): large during a stall. */
  snapshotAge?: number;
  /**
   * runtime_eventloop_active_seconds_total: ELU between two snapshots is its increase over their
   * time apart, and it never repeats across snapshots (taking one is itself loop activity), so
   * an equal value means the watchdog served the same snapshot again.
   */
  activeSeconds?: number;
  /** The window runtime_eventloop_delay_max_seconds covers (s), read from its HELP text ("… in the last 5 s."). */
  loopDelayMaxWindowSeconds?: number;
}

export function extractSnapshot(index: number, atMs: number, families: Families, probeRoute: string): Snapshot {
  const snapshot: Snapshot = {
    index,
    atMs,
    serverBuckets: bucketsOf(families, METRIC_HTTP_REQUEST_DURATION_SECONDS, { route: probeRoute }),
    loopDelayBuckets: bucketsOf(families, METRIC_EVENTLOOP_DELAY_SECONDS),
    canaryBuckets: bucketsOf(families, METRIC_THREADPOOL_CANARY_SECONDS),
  };
  const gauges: [keyof Snapshot, string][] = [
    ['loopDelayMax', METRIC_EVENTLOOP_DELAY_MAX_SECONDS],
    ['loopStall', METRIC_EVENTLOOP_STALL_SECONDS],
    ['elu', METRIC_EVENTLOOP_UTILIZATION_RATIO],
    ['poolQueue', METRIC_POOL_QUEUE_SIZE],
    ['canaryPending', METRIC_THREADPOOL_CANARY_PENDING_SECONDS],
    ['backlog', METRIC_LAB_CHECKOUT_BACKLOG],
    ['snapshotAge', METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS],
    ['activeSeconds', METRIC_EVENTLOOP_ACTIVE_SECONDS_TOTAL],
  ];
  for (const [key, name] of gauges) {
    const value = sumOf(families, name);
    if (value !== undefined) (snapshot as unknown as Record<string, number>)[key] = value;
  }
  // A service with prom-client's default metrics only: its loop-delay gauges stand in.
  if (snapshot.loopDelayMax === undefined) {
    const max = sumOf(families, METRIC_NODEJS_EVENTLOOP_LAG_MAX_SECONDS);
    if (max !== undefined) snapshot.loopDelayMax = max;
  }
  if (snapshot.loopDelayBuckets.length === 0) {
    const p99 = sumOf(families, METRIC_NODEJS_EVENTLOOP_LAG_P99_SECONDS);
    if (p99 !== undefined) snapshot.loopDelayP99Gauge = p99;
  }
  const window = /last ([0-9.]+) s\b/.exec(families.get(METRIC_EVENTLOOP_DELAY_MAX_SECONDS)?.help ?? '');
  if (window) snapshot.loopDelayMaxWindowSeconds = Number(window[1]);
  return snapshot;
}

export function failedSnapshot(index: number, atMs: number, error: string): Snapshot {
  return { index, atMs, error, serverBuckets: [], loopDelayBuckets: [], canaryBuckets: [] };
}
