// Event-loop utilization per interval, plus a counter of active seconds.
//
// Why: performance.eventLoopUtilization() without arguments is cumulative since the process
// started, which hides the present (a loop saturated for the last minute of an hour-long run
// reads as 2 %). The gauge is the ELU of the last interval; the counter lets rate() give ELU
// over any window Prometheus chooses.
import { performance } from 'node:perf_hooks';
import { Counter, Gauge } from 'prom-client';
import type { OwnedMetrics } from './owned-metrics.js';

export interface EluMonitor {
  stop(): void;
}

export function startElu(owned: OwnedMetrics, prefix: string, intervalMs: number): EluMonitor {
  const gauge = owned.add(
    `${prefix}eventloop_utilization_ratio`,
    new Gauge({
      name: `${prefix}eventloop_utilization_ratio`,
      help: `Event-loop utilization (active / (active + idle)) over the last ${intervalMs} ms.`,
      registers: [],
    }),
  );
  let countedActiveMs = performance.eventLoopUtilization().active;
  owned.add(
    `${prefix}eventloop_active_seconds_total`,
    new Counter({
      name: `${prefix}eventloop_active_seconds_total`,
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
