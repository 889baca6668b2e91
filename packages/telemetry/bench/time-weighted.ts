// Loop delay weighted by time, before and after: one stall of D ms every T ms, and the p99 of the
// loop-delay histogram over the whole pattern, as histogram_quantile computes it.
//   before: one observation per firing of the 10 ms timer (a stall is one sample);
//   after:  the shipped sampler (expected-interval correction: the swallowed ticks are recorded);
//   node:   perf_hooks.monitorEventLoopDelay's own p99 (exact values, one sample per stall too);
//   truth:  from the measured stalls, the X for which 1 % of the wall time waited more than X.
// Then the cost of recording one 10 s stall (1000 grid points): prom-client's Histogram.observe()
// called 1000 times versus one observeDescending() call.
// Usage: node packages/telemetry/dist/bench/time-weighted.js [repeats=3]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Histogram, Registry } from 'prom-client';
import { bucketsDelta, bucketsOf, histogramQuantile, parseExposition, type Bucket } from '@runtime-lab/scrape';
import { HistogramSeries } from '../src/fast-histogram.js';
import { LOOP_DELAY_BUCKETS_SECONDS, LOOP_SAMPLE_PERIOD_MS, startLoopDelay } from '../src/loop-delay.js';
import { OwnedMetrics } from '../src/owned-metrics.js';
import { nowMs } from '../src/clock.js';

const repeats = Number(process.argv[2] ?? 3);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const spin = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // a synchronous stall
  }
};

/** The old sampler: the lateness of each firing, one observation each. */
function startOneSamplePerFiring(series: HistogramSeries): () => void {
  let expectedMs = nowMs() + LOOP_SAMPLE_PERIOD_MS;
  let timer: NodeJS.Timeout;
  const tick = (): void => {
    const firedMs = nowMs();
    series.observe(Math.max(0, firedMs - expectedMs) / 1000);
    expectedMs = firedMs + LOOP_SAMPLE_PERIOD_MS;
    timer = setTimeout(tick, LOOP_SAMPLE_PERIOD_MS);
  };
  timer = setTimeout(tick, LOOP_SAMPLE_PERIOD_MS);
  return () => clearTimeout(timer);
}

function cumulative(series: HistogramSeries): Bucket[] {
  return series
    .values('h')
    .filter((s) => s.metricName === 'h_bucket')
    .map((s) => ({ le: s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le), count: s.value }));
}

/** X such that the wall time during which a ready task would wait more than X is 1 % of the window. */
function trueP99(stallsMs: number[], windowMs: number): number {
  let lo = 0;
  let hi = Math.max(0, ...stallsMs);
  for (let i = 0; i < 50; i++) {
    const mid = (lo + hi) / 2;
    const share = stallsMs.reduce((acc, d) => acc + Math.max(0, d - mid), 0) / windowMs;
    if (share > 0.01) lo = mid;
    else hi = mid;
  }
  return lo / 1000;
}

const ms = (s: number): string => (Number.isNaN(s) ? '—' : `${(s * 1000).toFixed(1)} ms`);

async function pattern(stallMs: number, everyMs: number, count: number): Promise<void> {
  const registry = new Registry();
  const after = startLoopDelay(new OwnedMetrics(registry), 'runtime_', 5);
  const before = new HistogramSeries(Float64Array.from(LOOP_DELAY_BUCKETS_SECONDS), {});
  const stopBefore = startOneSamplePerFiring(before);
  await sleep(100);
  const node = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_PERIOD_MS });
  node.enable();
  const readAfter = async (): Promise<Bucket[]> => bucketsOf(parseExposition(await registry.metrics()), 'runtime_eventloop_delay_seconds');
  const after0 = await readAfter();
  const before0 = cumulative(before);
  const startMs = nowMs();
  const stalls: number[] = [];
  for (let i = 0; i < count; i++) {
    await sleep(everyMs - stallMs);
    const t = performance.now();
    spin(stallMs);
    stalls.push(performance.now() - t);
  }
  await sleep(20);
  const windowMs = nowMs() - startMs;
  const afterP99 = histogramQuantile(0.99, bucketsDelta(await readAfter(), after0));
  const beforeP99 = histogramQuantile(0.99, bucketsDelta(cumulative(before), before0));
  node.disable();
  after.stop();
  stopBefore();
  console.log(
    `${`${stallMs} ms every ${everyMs / 1000} s (x${count}, ${((100 * stallMs) / everyMs).toFixed(0)} %)`.padEnd(34)}` +
      `${ms(beforeP99).padStart(11)}${ms(afterP99).padStart(11)}${ms(node.percentile(99) / 1e9).padStart(11)}${ms(trueP99(stalls, windowMs)).padStart(11)}`,
  );
}

console.log(`${'pattern'.padEnd(34)}${'before'.padStart(11)}${'after'.padStart(11)}${'node'.padStart(11)}${'truth'.padStart(11)}`);
for (let r = 0; r < repeats; r++) {
  await pattern(1000, 10_000, 1);
  await pattern(200, 5000, 3);
  await pattern(100, 5000, 3);
  await pattern(50, 2000, 5);
}

// Cost of recording a 10 s stall.
const bounds = [...LOOP_DELAY_BUCKETS_SECONDS];
const prom = new Histogram({ name: 'h', help: 'h', buckets: bounds, registers: [] });
const series = new HistogramSeries(Float64Array.from(bounds), {});
const points = 10_000 / LOOP_SAMPLE_PERIOD_MS;
const rounds = 2000;
const time = (fn: () => void): number => {
  for (let i = 0; i < 50; i++) fn();
  const t = performance.now();
  for (let i = 0; i < rounds; i++) fn();
  return ((performance.now() - t) / rounds) * 1000;
};
const promUs = time(() => {
  for (let k = 0; k < points; k++) prom.observe(10 - k * 0.01);
});
const bulkUs = time(() => series.observeDescending(10, 0.01, points));
console.log(`\nrecording one 10 s stall (${points} grid points), mean of ${rounds}:`);
console.log(`  prom-client Histogram.observe() x${points}: ${promUs.toFixed(1)} us`);
console.log(`  HistogramSeries.observeDescending():    ${bulkUs.toFixed(1)} us`);
