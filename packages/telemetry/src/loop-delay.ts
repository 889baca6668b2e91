// Event-loop delay as a cumulative histogram that is never reset, weighted by time.
//
// Why not prom-client's nodejs_eventloop_lag_p99_seconds: it is computed from a
// monitorEventLoopDelay histogram that every scrape resets, so two scrapers split the
// window between them and a stall that ends right after a reset is only seen by one of
// them. A cumulative Prometheus histogram lets any number of scrapers compute any window
// with histogram_quantile(rate(...)).
//
// How: a timer on a fixed 10 ms grid measures its own lateness. A sampler that records one
// observation per firing makes the mistake known as coordinated omission: a 1 s stall delays
// ONE firing, so it is one observation among ~1000 in 10 s and a p99 over those 10 s reads a
// couple of milliseconds while the loop was stalled a tenth of the time. Here every grid point
// gets exactly one observation: the time a task that became ready at that moment waited. A
// firing late by D therefore also records the grid points the stall swallowed, D - I, D - 2I,
// ... down to I (HdrHistogram's expected-interval correction, I = 10 ms). The histogram's
// quantiles then answer "how long would a task that became ready at a random moment have
// waited", and the share of observations above X is, within one interval, the share of wall
// time the loop was stalled by more than X. The grid does not drift: the next grid point is
// the first one not yet recorded, so a quiet loop yields one observation per 10 ms of wall time.
//
// Stalls as events (how many, how long each) are a separate histogram: one observation per
// firing late by at least one interval, the stall's length within one interval.
import {
  METRIC_EVENTLOOP_DELAY_MAX_SECONDS,
  METRIC_EVENTLOOP_DELAY_SECONDS,
  METRIC_EVENTLOOP_STALL_DURATION_SECONDS,
  withPrefix,
} from '@runtime-lab/metric-names';
import { Gauge, Histogram } from 'prom-client';
import { FastHistogram } from './fast-histogram.js';
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

/** Stall-event buckets: the loop-delay edges from one sampling interval up (10 ms .. 10.24 s). */
export const LOOP_STALL_BUCKETS_SECONDS: readonly number[] = [
  LOOP_SAMPLE_PERIOD_MS / 1000,
  ...LOOP_DELAY_BUCKETS_SECONDS.filter((le) => le > LOOP_SAMPLE_PERIOD_MS / 1000),
];

export function startLoopDelay(owned: OwnedMetrics, prefix: string, maxWindowSeconds: number): LoopDelayMonitor {
  const delay = owned
    .add(
      withPrefix(METRIC_EVENTLOOP_DELAY_SECONDS, prefix),
      new FastHistogram({
        name: withPrefix(METRIC_EVENTLOOP_DELAY_SECONDS, prefix),
        help: `Event-loop delay weighted by time: one observation per ${LOOP_SAMPLE_PERIOD_MS} ms of wall time, the wait of a task ready at that moment (a stall of D also records D-${LOOP_SAMPLE_PERIOD_MS}ms, D-${2 * LOOP_SAMPLE_PERIOD_MS}ms, ...). Cumulative, never reset.`,
        buckets: LOOP_DELAY_BUCKETS_SECONDS,
      }),
    )
    .series({});
  const stalls = owned.add(
    withPrefix(METRIC_EVENTLOOP_STALL_DURATION_SECONDS, prefix),
    new Histogram({
      name: withPrefix(METRIC_EVENTLOOP_STALL_DURATION_SECONDS, prefix),
      help: `Event-loop stalls as events: one observation per stall of at least ${LOOP_SAMPLE_PERIOD_MS} ms, its length (within ${LOOP_SAMPLE_PERIOD_MS} ms). Cumulative, never reset.`,
      buckets: [...LOOP_STALL_BUCKETS_SECONDS],
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

  const periodSeconds = LOOP_SAMPLE_PERIOD_MS / 1000;
  let expectedMs = nowMs() + LOOP_SAMPLE_PERIOD_MS;
  let timer: NodeJS.Timeout;
  const listeners: Array<() => void> = [];
  const tick = (): void => {
    for (const fn of listeners) fn();
    const firedMs = nowMs();
    const lateMs = Math.max(0, firedMs - expectedMs);
    // Grid points expectedMs, expectedMs + I, ... up to the firing, each waited I less than the
    // one before; those that waited at least I are recorded now. The first point that waited
    // less than I is the next expected one: it is already due (or nearly), so the next firing
    // comes at once and records what it really waited.
    const points = lateMs >= LOOP_SAMPLE_PERIOD_MS ? Math.floor(lateMs / LOOP_SAMPLE_PERIOD_MS) : 1;
    delay.observeDescending(lateMs / 1000, periodSeconds, points);
    if (lateMs >= LOOP_SAMPLE_PERIOD_MS) stalls.observe(lateMs / 1000);
    window.record(lateMs, firedMs);
    expectedMs += points * LOOP_SAMPLE_PERIOD_MS;
    timer = setTimeout(tick, Math.max(0, expectedMs - nowMs())).unref();
  };
  timer = setTimeout(tick, LOOP_SAMPLE_PERIOD_MS).unref();
  return {
    onTick: (fn) => listeners.push(fn),
    stop: () => clearTimeout(timer),
  };
}
