// What the runner keeps from one scrape of the service's watchdog port: the cumulative
// histograms it needs deltas of, and the gauges read as they are.
import type { Bucket, Families } from '@runtime-lab/telemetry/exposition';
import { bucketsOf, sumOf } from '@runtime-lab/telemetry/exposition';

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
    serverBuckets: bucketsOf(families, 'runtime_http_request_duration_seconds', { route: probeRoute }),
    loopDelayBuckets: bucketsOf(families, 'runtime_eventloop_delay_seconds'),
    canaryBuckets: bucketsOf(families, 'runtime_threadpool_canary_seconds'),
  };
  const gauges: [keyof Snapshot, string][] = [
    ['loopDelayMax', 'runtime_eventloop_delay_max_seconds'],
    ['loopStall', 'runtime_eventloop_stall_seconds'],
    ['elu', 'runtime_eventloop_utilization_ratio'],
    ['poolQueue', 'runtime_pool_queue_size'],
    ['canaryPending', 'runtime_threadpool_canary_pending_seconds'],
    ['backlog', 'lab_checkout_backlog'],
    ['snapshotAge', 'runtime_watchdog_snapshot_age_seconds'],
    ['activeSeconds', 'runtime_eventloop_active_seconds_total'],
  ];
  for (const [key, name] of gauges) {
    const value = sumOf(families, name);
    if (value !== undefined) (snapshot as unknown as Record<string, number>)[key] = value;
  }
  const window = /last ([0-9.]+) s\b/.exec(families.get('runtime_eventloop_delay_max_seconds')?.help ?? '');
  if (window) snapshot.loopDelayMaxWindowSeconds = Number(window[1]);
  return snapshot;
}

export function failedSnapshot(index: number, atMs: number, error: string): Snapshot {
  return { index, atMs, error, serverBuckets: [], loopDelayBuckets: [], canaryBuckets: [] };
}
