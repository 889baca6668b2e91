// Event-loop utilization per interval, plus a counter of active seconds.
//
// Why: performance.eventLoopUtilization() without arguments is cumulative since the process
// started, which hides the present (a loop saturated for the last minute of an hour-long run
// reads as 2 %). The gauge is the ELU of the last interval; the counter lets rate() give ELU
// over any window Prometheus chooses.
import { METRIC_EVENTLOOP_ACTIVE_SECONDS_TOTAL, METRIC_EVENTLOOP_UTILIZATION_RATIO, withPrefix } from '@runtime-lab/metric-names';
import { performance } from 'node:perf_hooks';
import { Counter, Gauge } from 'prom-client';
import type { OwnedMetrics } from './owned-metrics.js';

export interface EluMonitor {
  stop(): void;
}

export function startElu(owned: OwnedMetrics, prefix: string, intervalMs: number): EluMonitor {
  const gauge = owned.add(
    withPrefix(METRIC_EVENTLOOP_UTILIZATION_RATIO, prefix),
    new Gauge({
      name: withPrefix(METRIC_EVENTLOOP_UTILIZATION_RATIO, prefix),
      help: `Event-loop utilization (active / (active + idle)) over the last ${intervalMs} ms.`,
      registers: [],
    }),
  );
  let countedActiveMs = performance.eventLoopUtilization().active;
  owned.add(
    withPrefix(METRIC_EVENTLOOP_ACTIVE_SECONDS_TOTAL, prefix),
    new Counter({
      name: withPrefix(METRIC_EVENTLOOP_ACTIVE_SECONDS_TOTAL, prefix),
      help: 'Time the event loop spent active (not waiting for I/O); rate() of it is ELU over any window.',
      registers: [],
      collect() {
        const activeMs = performance.eventLoopUtilization().active;
        if (activeMs > countedActiveMs) this.inc((activeMs - countedActiveMs) / 1000);
        countedActiveMs = Math.max(countedActiveMs, activeMs);
      },
    }),
  );

  let previous = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const current = performance.eventLoopUtilization();
    gauge.set(performance.eventLoopUtilization(current, previous).utilization);
    previous = current;
  }, intervalMs).unref();
  return { stop: () => clearInterval(timer) };
}
