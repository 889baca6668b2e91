// The loop-delay histogram is weighted by time (expected-interval correction): checked on this
// process's real event loop, stalled by real synchronous work.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { type Bucket, bucketsDelta, bucketsOf, histogramQuantile, parseExposition } from '../src/exposition.js';
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
    const stallsMs = await stall([700, 300, 100], 300);
    const after = await s.read();
    const delay = bucketsDelta(after.delay, before.delay);
    const wallMs = after.atMs - before.atMs;
    // One observation per interval of wall time: the grid neither drifts nor loses the stalls.
    const n = total(delay);
    assert.ok(Math.abs(n - wallMs / I) <= 0.03 * (wallMs / I) + 2, `${n} observations in ${wallMs.toFixed(0)} ms (expected ~${(wallMs / I).toFixed(0)})`);
    for (const x of [0.04, 0.08, 0.16, 0.32, 0.64]) {
      const xMs = x * 1000;
      // Wall time in which a task that became ready would have waited more than X.
      const stalledMs = stallsMs.reduce((acc, d) => acc + Math.max(0, d - xMs), 0);
      const hit = stallsMs.filter((d) => d > xMs).length;
      const shareObserved = above(delay, x) / n;
      const shareOfTime = stalledMs / wallMs;
      // Within one sampling interval per stall (its phase against the grid), plus two
      // intervals of slack for CPU contention from other processes on a shared machine.
      const toleranceShare = ((hit + 2) * I) / wallMs;
      assert.ok(
        Math.abs(shareObserved - shareOfTime) <= toleranceShare,
        `above ${xMs} ms: ${(100 * shareObserved).toFixed(2)} % of observations vs ${(100 * shareOfTime).toFixed(2)} % of wall time ` +
          `(tolerance ${(100 * toleranceShare).toFixed(2)} %; stalls ${stallsMs.map((d) => d.toFixed(0)).join(', ')} ms)`,
      );
    }
    // The stalls are also counted as events, one each, in the bucket of their length.
    const events = bucketsDelta(after.stalls, before.stalls);
    assert.equal(above(events, 0.64), 1, `stall events: ${JSON.stringify(events)}`);
    assert.equal(above(events, 0.16), 2, `stall events: ${JSON.stringify(events)}`);
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

test('sparse stalls (150 ms every 1.5 s, 10 % of the time) show at the p99', async () => {
  const s = await sampler();
  try {
    const before = await s.read();
    await stall([150, 150, 150, 150], 1350);
    const after = await s.read();
    const delay = bucketsDelta(after.delay, before.delay);
    const p99 = histogramQuantile(0.99, delay);
    // Wall share above X is (150 - X) / 1500: 1 % at X = 135 ms, in the (80, 160] ms bucket.
    assert.ok(p99 > 0.08 && p99 <= 0.16, `p99 ${p99} s; buckets ${JSON.stringify(delay)}`);
  } finally {
    s.stop();
  }
});
