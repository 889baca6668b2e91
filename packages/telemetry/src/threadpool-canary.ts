// The libuv threadpool has no queue-depth API, so we probe it: a tiny fs operation (stat of
// this file) issued on a schedule; its latency is mostly time spent queued behind other
// threadpool work (crypto, zlib, fs, dns.lookup). One canary at a time: while one is stuck,
// the pending gauge grows instead of more canaries piling onto the saturated pool.
// Its callback runs on the main loop, so a loop stall also delays it: read it beside the
// loop-delay histogram.
import {
  METRIC_THREADPOOL_CANARY_PENDING_SECONDS,
  METRIC_THREADPOOL_CANARY_SECONDS,
  METRIC_THREADPOOL_INFLIGHT,
  withPrefix,
} from '@runtime-lab/metric-names';
import { stat } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Gauge, Histogram } from 'prom-client';
import { nowMs } from './clock.js';
import type { OwnedMetrics } from './owned-metrics.js';

export const CANARY_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const CANARY_PATH = fileURLToPath(import.meta.url);

export interface ThreadpoolCanary {
  stop(): void;
}

export function startThreadpoolCanary(owned: OwnedMetrics, prefix: string, intervalMs: number): ThreadpoolCanary {
  const histogram = owned.add(
    withPrefix(METRIC_THREADPOOL_CANARY_SECONDS, prefix),
    new Histogram({
      name: withPrefix(METRIC_THREADPOOL_CANARY_SECONDS, prefix),
      help: 'Latency of a tiny fs operation issued on a schedule: libuv threadpool queueing.',
      buckets: CANARY_BUCKETS_SECONDS,
      registers: [],
    }),
  );
  let pendingSinceMs: number | undefined;
  owned.add(
    withPrefix(METRIC_THREADPOOL_CANARY_PENDING_SECONDS, prefix),
    new Gauge({
      name: withPrefix(METRIC_THREADPOOL_CANARY_PENDING_SECONDS, prefix),
      help: 'Age of the canary still waiting for the threadpool (0 when none is pending).',
      registers: [],
      collect() {
        this.set(pendingSinceMs === undefined ? 0 : (nowMs() - pendingSinceMs) / 1000);
      },
    }),
  );

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const probe = (): void => {
    if (stopped || pendingSinceMs !== undefined) return;
    const startedMs = nowMs();
    pendingSinceMs = startedMs;
    stat(CANARY_PATH, () => {
      pendingSinceMs = undefined;
      if (!stopped) histogram.observe((nowMs() - startedMs) / 1000);
    });
  };
  timer = setInterval(probe, intervalMs).unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      timer = undefined;
    },
  };
}

/** Counts threadpool work the app submitted and that has not finished yet. */
export function createThreadpoolTracker(owned: OwnedMetrics, prefix: string): <T>(work: Promise<T>) => Promise<T> {
  const inflight = owned.add(
    withPrefix(METRIC_THREADPOOL_INFLIGHT, prefix),
    new Gauge({
      name: withPrefix(METRIC_THREADPOOL_INFLIGHT, prefix),
      help: 'Threadpool work the app submitted through trackThreadpool() and that has not finished.',
      registers: [],
    }),
  );
  return async <T>(work: Promise<T>): Promise<T> => {
    inflight.inc();
    try {
      return await work;
    } finally {
      inflight.dec();
    }
  };
}
