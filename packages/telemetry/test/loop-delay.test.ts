// The loop-delay histogram is weighted by time (expected-interval correction): checked on this
// process's real event loop, stalled by real synchronous work.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { type Bucket, bucketsDelta, bucketsOf, histogramQuantile, parseExposition } from '@runtime-lab/scrape';
import { HistogramSeries } from '../src/fast-histogram.js';
import { LOOP_DELAY_BUCKETS_SECONDS, LOOP_SAMPLE_PERIOD_MS, startLoopDelay } from '../src/loop-delay.js';
import { OwnedMetrics } from '../src/owned-metrics.js';
import { blockFor, nowMs } from './helpers.js';

const I = LOOP_SAMPLE_PERIOD_MS;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Reading {
  delay: Bucket[];
  stalls: Bucket[];
  atMs: number;
}

async function sampler(): Promise<{ read(): Promise<Reading>; stop(): void }> {
  const registry = new Registry();
  const monitor = startLoopDelay(new OwnedMetrics(registry), 'runtime_', 5);
  await sleep(50);
  return {
    async read() {
      const families = parseExposition(await registry.metrics());
      return {
        delay: bucketsOf(families, 'runtime_eventloop_delay_seconds'),
        stalls: bucketsOf(families, 'runtime_eventloop_stall_duration_seconds'),
        atMs: nowMs(),
      };
    },
    stop: () => monitor.stop(),
  };
}

/** Blocks the loop for each duration in turn, `gapMs` apart; returns the measured lengths. */
async function stall(durationsMs: number[], gapMs: number): Promise<number[]> {
  const measured: number[] = [];
  for (const ms of durationsMs) {
    await sleep(gapMs);
    const start = performance.now();
    blockFor(ms);
    measured.push(performance.now() - start);
  }
  await sleep(gapMs);
  return measured;
}

/**
 * Ground truth, independent of the sampler's lateness arithmetic: callbacks that run at every loop
 * iteration (a setImmediate chain, check phase) and at nearly every one (a 1 ms interval, timers
 * phase) stamp the time; each gap between two stamps is a stretch the loop ran nothing (our
 * blocks, and the process being descheduled on a shared machine). A task that became ready t into
 * a gap of g waited g - t, so the wall time during which it would have waited more than X is the
 * sum of max(0, g - X). Gaps under 2 ms are not kept (every X asked about is far above).
 * When the process is descheduled between two callbacks of one iteration, whether a given task's
 * wait spans both gaps depends on where its callback sat in that iteration: `mergedMs` joins gaps
 * less than 3 ms of activity apart, the other bound of the truth.
 */
function loopGaps(): { stop(): { gapsMs: number[]; mergedMs: number[]; wallMs: number } } {
  const gaps: Array<{ from: number; to: number }> = [];
  const startMs = performance.now();
  let lastMs = startMs;
  let running = true;
  const stamp = (): void => {
    const now = performance.now();
    if (now - lastMs > 2) gaps.push({ from: lastMs, to: now });
    lastMs = now;
  };
  const spin = (): void => {
    stamp();
    if (running) setImmediate(spin);
  };
  setImmediate(spin);
  const interval = setInterval(stamp, 1);
  return {
    stop() {
      running = false;
      clearInterval(interval);
      const merged: Array<{ from: number; to: number }> = [];
      for (const g of gaps) {
        const last = merged.at(-1);
        if (last && g.from - last.to < 3) last.to = g.to;
        else merged.push({ ...g });
      }
      return { gapsMs: gaps.map((g) => g.to - g.from), mergedMs: merged.map((g) => g.to - g.from), wallMs: lastMs - startMs };
    },
  };
}

const waitedMoreThan = (gapsMs: number[], xMs: number): number => gapsMs.reduce((acc, g) => acc + Math.max(0, g - xMs), 0);

/** The X (ms) for which a ready task would have waited more than X during 1 % of `wallMs`. */
function trueP99Ms(gapsMs: number[], wallMs: number): number {
  let lo = 0;
  let hi = Math.max(0, ...gapsMs);
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (waitedMoreThan(gapsMs, mid) > 0.01 * wallMs) lo = mid;
    else hi = mid;
  }
  return lo;
}

const total = (buckets: Bucket[]): number => buckets.at(-1)?.count ?? 0;
const above = (buckets: Bucket[], le: number): number => total(buckets) - (buckets.find((b) => b.le === le)?.count ?? Number.NaN);

test('observeDescending records what the same values given to observe() one by one record', () => {
  const bounds = Float64Array.from(LOOP_DELAY_BUCKETS_SECONDS);
  // Values that start on a bucket edge, cross several edges, stay in one bucket, or overflow.
  const cases: Array<[number, number, number]> = [
    [1.28, 0.01, 128],
    [1.0034, 0.01, 100],
    [0.0123, 0.01, 1],
    [25, 0.01, 2500],
    [0.05, 0.01, 5],
    [0.64, 0.02, 31],
  ];
  for (const [first, step, count] of cases) {
    const bulk = new HistogramSeries(bounds, {});
    const oneByOne = new HistogramSeries(bounds, {});
    bulk.observeDescending(first, step, count);
    for (let k = 0; k < count; k++) oneByOne.observe(first - k * step);
    const a = bulk.values('h');
    const b = oneByOne.values('h');
    assert.deepEqual(
      a.map((s) => s.value).slice(0, -2),
      b.map((s) => s.value).slice(0, -2),
      `buckets differ for ${first}, ${step}, x${count}`,
    );
    assert.ok(Math.abs((a.at(-2)?.value ?? 0) - (b.at(-2)?.value ?? 0)) < 1e-9, 'sums differ');
    assert.equal(a.at(-1)?.value, count);
  }
});

test('the share of observations above X is the share of wall time stalled by more than X, within one interval', async () => {
  const s = await sampler();
  try {
    const before = await s.read();
    const truth = loopGaps();
    const stallsMs = await stall([700, 300, 100], 300);
    const { gapsMs, mergedMs, wallMs } = truth.stop();
    const after = await s.read();
    const delay = bucketsDelta(after.delay, before.delay);
    // One observation per interval of wall time: the grid neither drifts nor loses the stalls.
    const n = total(delay);
    const readMs = after.atMs - before.atMs;
    assert.ok(
      Math.abs(n - readMs / I) <= 0.03 * (readMs / I) + 2,
      `${n} observations in ${readMs.toFixed(0)} ms (expected ~${(readMs / I).toFixed(0)})`,
    );
    for (const x of [0.04, 0.08, 0.16, 0.32, 0.64]) {
      const xMs = x * 1000;
      // Each observation stands for one interval of wall time, so compare times, not shares (the
      // readings and the ground truth do not open and close at the same millisecond).
      const observedMs = above(delay, x) * I;
      const lowMs = waitedMoreThan(gapsMs, xMs);
      const highMs = waitedMoreThan(mergedMs, xMs);
      // Within one sampling interval per gap longer than X (its phase against the grid), plus
      // two intervals of slack.
      const toleranceMs = (mergedMs.filter((g) => g > xMs).length + 2) * I;
      const detail =
        `above ${xMs} ms: ${observedMs} ms of observations (${((100 * above(delay, x)) / n).toFixed(2)} %) vs ${lowMs.toFixed(0)}–${highMs.toFixed(0)} ms ` +
        `of wall time (${((100 * lowMs) / wallMs).toFixed(2)} %; tolerance ${toleranceMs} ms; blocks ${stallsMs.map((d) => d.toFixed(0)).join(', ')} ms; ` +
        `gaps over 20 ms ${gapsMs
          .filter((g) => g > 20)
          .map((g) => g.toFixed(0))
          .join(', ')})`;
      assert.ok(observedMs >= lowMs - toleranceMs && observedMs <= highMs + toleranceMs, detail);
    }
    // The blocks are also counted as events, one each, in the bucket of their length.
    const events = bucketsDelta(after.stalls, before.stalls);
    assert.ok(above(events, 0.64) >= 1, `stall events: ${JSON.stringify(events)}`);
    assert.ok(above(events, 0.16) >= 2, `stall events: ${JSON.stringify(events)}`);
    assert.ok(above(events, 0.08) >= 3, `stall events: ${JSON.stringify(events)}`);
  } finally {
    s.stop();
  }
});

test('one 1 s stall in a 10 s window puts the window p99 in the bucket holding 1 s', async () => {
  const s = await sampler();
  try {
    const before = await s.read();
    await sleep(4500);
    const [measured] = await stall([1000], 0);
    await sleep(Math.max(0, before.atMs + 10_000 - nowMs()));
    const after = await s.read();
    const delay = bucketsDelta(after.delay, before.delay);
    const p99 = histogramQuantile(0.99, delay);
    // 1 s of 10 s is stalled: 3.6 % of the time waited more than 640 ms, so the p99 sits in
    // (0.64, 1.28]. Counted once per firing, it would be one observation in ~1000 (p99 ~2 ms).
    assert.ok(p99 > 0.64 && p99 <= 1.28, `10 s p99 ${p99} s with one ${measured?.toFixed(0)} ms stall; buckets ${JSON.stringify(delay)}`);
    const events = bucketsDelta(after.stalls, before.stalls);
    assert.equal(above(events, 0.64), 1, `one stall event above 640 ms: ${JSON.stringify(events)}`);
  } finally {
    s.stop();
  }
});

test('sparse stalls (250 ms every 2.5 s, 10 % of the time) show at the p99', async () => {
  const s = await sampler();
  try {
    const before = await s.read();
    const truth = loopGaps();
    await stall([250, 250, 250, 250], 2250);
    const { gapsMs, wallMs } = truth.stop();
    const after = await s.read();
    const delay = bucketsDelta(after.delay, before.delay);
    const p99 = histogramQuantile(0.99, delay);
    const exactMs = trueP99Ms(gapsMs, wallMs);
    // Nominally 1 % of the time waited more than 225 ms (the (160, 320] ms bucket); on a shared
    // machine descheduling lengthens the waits, so the reference is the measured one. Counted
    // once per firing, the p99 would be a few ms.
    const bucket = LOOP_DELAY_BUCKETS_SECONDS.find((le) => le * 1000 >= exactMs) ?? Number.POSITIVE_INFINITY;
    const lower = LOOP_DELAY_BUCKETS_SECONDS[LOOP_DELAY_BUCKETS_SECONDS.indexOf(bucket) - 1] ?? 0;
    assert.ok(exactMs > 160, `the pattern itself: 1 % of the time waited over ${exactMs.toFixed(0)} ms`);
    assert.ok(
      p99 > lower && p99 <= bucket,
      `p99 ${p99} s, not in (${lower}, ${bucket}] which holds the measured ${exactMs.toFixed(0)} ms; buckets ${JSON.stringify(delay)}`,
    );
  } finally {
    s.stop();
  }
});
