// Event-loop delay as a cumulative histogram that is never reset.
//
// Why not prom-client's nodejs_eventloop_lag_p99_seconds: it is computed from a
// monitorEventLoopDelay histogram that every scrape resets, so two scrapers split the
// window between them and a stall that ends right after a reset is only seen by one of
// them. A cumulative Prometheus histogram lets any number of scrapers compute any window
// with histogram_quantile(rate(...)).
//
// How: a timer with a fixed period measures its own lateness. A stall of D ms that begins
// while the timer is pending delays exactly one firing, by D minus the part of the period
// that had already elapsed, so it is recorded as ONE observation in [D - period, D]: never
// split into many small samples, never lost. The period (10 ms) bounds that error.
import { METRIC_EVENTLOOP_DELAY_MAX_SECONDS, METRIC_EVENTLOOP_DELAY_SECONDS, withPrefix } from '@runtime-lab/metric-names';
import { Gauge, Histogram } from 'prom-client';
import { nowMs } from './clock.js';
import type { OwnedMetrics } from './owned-metrics.js';

export const LOOP_SAMPLE_PERIOD_MS = 10;

// Doubling from 1.25 ms to 10.24 s (1.25, 2.5, 5, 10, 20, 40, 80, 160, 320, 640, 1280 ms ...).
// The round durations people inject and read about (50, 100, 200, 500, 1000 ms) sit well
// inside a bucket, not on an edge: a sample reads up to one sampling period low (phase) or a
// little high (work queued behind the stall runs before the timer), and neither should move a
// stall into the neighbouring bucket.
export const LOOP_DELAY_BUCKETS_SECONDS: readonly number[] = Array.from({ length: 14 }, (_, i) => (1.25 * 2 ** i) / 1000);

/** Maximum of the values recorded in the last `windowSeconds` whole seconds. */
export class WindowMax {
  readonly #maxima: Float64Array;
  readonly #seconds: Float64Array;

  constructor(windowSeconds: number) {
    this.#maxima = new Float64Array(windowSeconds);
    this.#seconds = new Float64Array(windowSeconds).fill(-1);
  }

  record(value: number, atMs: number): void {
    const second = Math.floor(atMs / 1000);
    const slot = second % this.#maxima.length;
    if (this.#seconds[slot] !== second) {
      this.#seconds[slot] = second;
      this.#maxima[slot] = value;
    } else if (value > (this.#maxima[slot] ?? 0)) {
      this.#maxima[slot] = value;
    }
  }

  max(atMs: number): number {
    const second = Math.floor(atMs / 1000);
    let max = 0;
    for (let i = 0; i < this.#maxima.length; i++) {
      const age = second - (this.#seconds[i] ?? -1);
      if (age >= 0 && age < this.#maxima.length) max = Math.max(max, this.#maxima[i] ?? 0);
    }
    return max;
  }
}

export interface LoopDelayMonitor {
  /** Runs `fn` on every sampling tick: the watchdog's heartbeat rides on it (one timer, not two). */
  onTick(fn: () => void): void;
  stop(): void;
}

export function startLoopDelay(owned: OwnedMetrics, prefix: string, maxWindowSeconds: number): LoopDelayMonitor {
  const histogram = owned.add(
    withPrefix(METRIC_EVENTLOOP_DELAY_SECONDS, prefix),
    new Histogram({
      name: withPrefix(METRIC_EVENTLOOP_DELAY_SECONDS, prefix),
      help: `Event-loop delay: lateness of a ${LOOP_SAMPLE_PERIOD_MS} ms timer; a stall is one observation of its length. Cumulative, never reset.`,
      buckets: [...LOOP_DELAY_BUCKETS_SECONDS],
      registers: [],
    }),
  );
  const window = new WindowMax(maxWindowSeconds);
  owned.add(
    withPrefix(METRIC_EVENTLOOP_DELAY_MAX_SECONDS, prefix),
    new Gauge({
      name: withPrefix(METRIC_EVENTLOOP_DELAY_MAX_SECONDS, prefix),
      help: `Largest event-loop delay observed in the last ${maxWindowSeconds} s.`,
      registers: [],
      collect() {
        this.set(window.max(nowMs()) / 1000);
      },
    }),
  );

  let expectedMs = nowMs() + LOOP_SAMPLE_PERIOD_MS;
  let timer: NodeJS.Timeout;
  const listeners: Array<() => void> = [];
  const tick = (): void => {
    for (const fn of listeners) fn();
    const firedMs = nowMs();
    const lateMs = Math.max(0, firedMs - expectedMs);
    histogram.observe(lateMs / 1000);
    window.record(lateMs, firedMs);
    expectedMs = firedMs + LOOP_SAMPLE_PERIOD_MS;
    timer = setTimeout(tick, LOOP_SAMPLE_PERIOD_MS).unref();
  };
  timer = setTimeout(tick, LOOP_SAMPLE_PERIOD_MS).unref();
  return {
    onTick: (fn) => listeners.push(fn),
    stop: () => clearTimeout(timer),
  };
}
