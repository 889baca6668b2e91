// Where server and client figures land on the run's time axis, and how they are summarised:
// the watchdog's stale snapshots, histogram bucket bounds, the phase loop-delay max, the
// threadpool canary's loop share, timeouts and errors. Synthetic snapshots, no services.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketMax, bucketQuantile, certainlyAbove, certainlyBelow } from '../src/analysis/range.js';
import { buildReadings, clientQuantile, threadpoolCanaryOf } from '../src/analysis/series.js';
import { summarise } from '../src/analysis/summary.js';
import { Timeline } from '../src/analysis/timeline.js';
import { formatFigure } from '../src/signals.js';
import { HTTP_EDGES, POW2_EDGES, RUN_START_MS, cumulative, snapshot, times } from './fixtures.js';

const NORMAL = (n: number) => times(n, 0.0008);

// A 2.5 s stall from t = 2.0 s to 4.5 s. The watchdog keeps serving the snapshot the main loop
// took at 1.9 s (scrapes 3 and 4, ever older), then one taken right after the stall at 4.55 s.
function stallTimeline(): Timeline {
  const before = { activeSeconds: 0.6, loopDelays: NORMAL(290), loopDelayMax: 0.002, elu: 0.3, backlog: 3 };
  const timeline = new Timeline(RUN_START_MS, 6);
  timeline.setSnapshots([
    snapshot({
      index: 0,
      age: 0.2,
      activeSeconds: 0,
      loopDelays: NORMAL(100),
      loopDelayMax: 0.002,
      elu: 0.3,
      loopStall: 0.001,
      backlog: 1,
    }),
    snapshot({
      index: 1,
      age: 0.3,
      activeSeconds: 0.3,
      loopDelays: NORMAL(200),
      loopDelayMax: 0.002,
      elu: 0.3,
      loopStall: 0.002,
      backlog: 2,
    }),
    snapshot({ index: 2, age: 0.1, ...before, loopStall: 0.003 }),
    snapshot({ index: 3, age: 1.1, ...before, loopStall: 1.0 }),
    snapshot({ index: 4, age: 2.1, ...before, loopStall: 2.0 }),
    snapshot({
      index: 5,
      age: 0.45,
      activeSeconds: 3.2,
      loopDelays: [...NORMAL(295), 2.5],
      loopDelayMax: 2.5,
      elu: 0.9,
      loopStall: 0.004,
      backlog: 40,
    }),
    snapshot({
      index: 6,
      age: 0.2,
      activeSeconds: 3.6,
      loopDelays: [...NORMAL(395), 2.5],
      loopDelayMax: 2.5,
      elu: 0.4,
      loopStall: 0.002,
      backlog: 5,
    }),
  ]);
  return timeline;
}

test('a stale watchdog snapshot is placed when it was taken: the stall seconds have no registry data, the live stall stays at the scrape', () => {
  const timeline = stallTimeline();
  const r = buildReadings(timeline);
  assert.deepEqual(timeline.staleSeconds(), [2, 3], 'no fresh snapshot describes seconds 2 and 3');
  for (const bin of [2, 3]) {
    for (const id of ['elu', 'loopDelayP99', 'loopDelayMax', 'backlog'] as const) {
      assert.equal(r[id][bin], null, `${id} at ${bin}: null (stale), not the value from before the stall`);
    }
  }
  // The live stall is computed by the watchdog at the scrape that closes each second.
  assert.deepEqual(
    r.loopStall.map((v) => v?.lo),
    [0.002, 0.003, 1.0, 2.0, 0.004, 0.002],
  );
  // The snapshot taken before the stall describes second 1 (scraped at 2 s, 0.1 s old): its
  // backlog of 3 belongs there and is not repeated over the stall.
  assert.equal(r.backlog[1]?.lo, 3);
  // Taken at 4.55 s: second 4 gets the stall's histogram observation and the ELU over the
  // whole span since 1.9 s, from the active-time counter.
  assert.deepEqual(r.loopDelayP99[4], { lo: 2.048, hi: 4.096 });
  assert.ok(Math.abs((r.elu[4]?.lo ?? 0) - 2.6 / 2.65) < 1e-9, `ELU ${r.elu[4]?.lo}`);
  assert.equal(r.backlog[4]?.lo, 40);
  assert.ok(Math.abs((r.elu[0]?.lo ?? 0) - 0.3 / 0.9) < 1e-9, 'ELU of second 0: counter increase over the snapshots’ own times');
});

test('fresh snapshots stay one per second whatever the scrape jitter: no spurious stale seconds', () => {
  const timeline = new Timeline(RUN_START_MS, 5);
  timeline.setSnapshots(
    Array.from({ length: 6 }, (_, i) =>
      // A snapshot taken just before the scrape (age ~0) by a scrape 40 ms late.
      snapshot({ index: i, age: i % 2 === 0 ? 0 : 0.001, lateMs: 40, activeSeconds: i * 0.5, loopDelays: NORMAL(100 * (i + 1)), elu: 0.5 }),
    ),
  );
  assert.deepEqual(timeline.staleSeconds(), []);
  assert.ok(buildReadings(timeline).elu.every((v) => v !== null && Math.abs(v.lo - 0.5) < 0.05));
});

test('a snapshot first read late (the scrape before it failed) is credited to the second it was taken in, not the scrape’s', () => {
  const timeline = new Timeline(RUN_START_MS, 3);
  timeline.setSnapshots([
    snapshot({ index: 0, activeSeconds: 0, backlog: 1 }),
    snapshot({ index: 1, activeSeconds: 0.4, backlog: 2 }),
    snapshot({ index: 2, error: 'could not scrape: timeout' }),
    // Taken at 1.4 s, first served at the scrape of 3 s.
    snapshot({ index: 3, age: 1.6, activeSeconds: 0.9, backlog: 9 }),
  ]);
  const r = buildReadings(timeline);
  assert.deepEqual(
    r.backlog.map((v) => v?.lo ?? null),
    [2, 9, null],
  );
  assert.deepEqual(timeline.staleSeconds(), [2]);
});

test('without the active-time counter, a snapshot served twice is recognised by its taken-at time', () => {
  const timeline = new Timeline(RUN_START_MS, 4);
  timeline.setSnapshots([
    snapshot({ index: 0, age: 0.2, loopDelayMax: 0.001 }),
    snapshot({ index: 1, age: 0.1, loopDelayMax: 0.001 }),
    snapshot({ index: 2, age: 1.1, loopDelayMax: 0.001 }),
    snapshot({ index: 3, age: 0.3, loopDelayMax: 0.9 }),
    snapshot({ index: 4, error: 'could not scrape: timeout' }),
  ]);
  assert.deepEqual(timeline.staleSeconds(), [1, 3]);
  assert.deepEqual(timeline.failedScrapes(), [{ index: 4, error: 'could not scrape: timeout' }]);
});

test('a phase’s loop-delay max comes from its own histogram delta: a stall in the previous phase is not carried over', () => {
  const timeline = new Timeline(RUN_START_MS, 7);
  const stall = [...NORMAL(150), 0.6];
  timeline.setSnapshots([
    snapshot({ index: 0, activeSeconds: 0, loopDelays: NORMAL(50), loopDelayMax: 0.001 }),
    snapshot({ index: 1, activeSeconds: 0.5, loopDelays: NORMAL(100), loopDelayMax: 0.001 }),
    snapshot({ index: 2, activeSeconds: 1.4, loopDelays: stall, loopDelayMax: 0.6 }),
    snapshot({ index: 3, activeSeconds: 1.9, loopDelays: [...stall, ...NORMAL(100)], loopDelayMax: 0.6 }),
    // The gauge's 5 s window still holds the stall through the next phase.
    ...[4, 5, 6, 7].map((i) =>
      snapshot({
        index: i,
        activeSeconds: 1.9 + (i - 3) * 0.3,
        loopDelays: [...stall, ...NORMAL(100 * (i - 2)), 0.0015],
        loopDelayMax: 0.6,
      }),
    ),
  ]);
  const readings = buildReadings(timeline);
  const previous = summarise(timeline, readings, 'loopDelayMax', { from: 0, to: 3 });
  const next = summarise(timeline, readings, 'loopDelayMax', { from: 3, to: 7 });
  assert.deepEqual(previous, { lo: 0.512, hi: 1.024 }, 'the stall, as its bucket');
  assert.deepEqual(next, { lo: 0.001, hi: 0.002 }, 'only what happened in the phase');
  assert.equal(readings.loopDelayMax[5]?.lo, 0.6, 'the per-second series still shows the gauge as served');
});

test('a histogram quantile is the bucket holding it: a 600 ms stall reads 512–1024 ms, never an interpolated 1.02 s above the max', () => {
  const stalls = cumulative(POW2_EDGES, [...NORMAL(60), ...times(40, 0.6)]);
  const p99 = bucketQuantile(0.99, stalls);
  const max = bucketMax(stalls);
  assert.deepEqual(p99, { lo: 0.512, hi: 1.024 });
  assert.ok(p99 && max && p99.hi <= max.hi, 'p99 never above the max');
  assert.ok(p99 && certainlyAbove(p99, 0.5), '"above 0.5 s" holds: everything in the bucket is above 512 ms');
  assert.equal(formatFigure('loopDelayP99', p99?.hi, p99?.lo), '512–1024 ms');
  // ~260 ms stalls sit in 256–512 ms: "above 0.5 s" must not pass (interpolation said ~0.51).
  const shorter = bucketQuantile(0.99, cumulative(POW2_EDGES, [...NORMAL(60), ...times(40, 0.26)]));
  assert.deepEqual(shorter, { lo: 0.256, hi: 0.512 });
  assert.ok(shorter && !certainlyAbove(shorter, 0.5) && !certainlyBelow(shorter, 0.5), 'undecidable inside the bucket');
  assert.ok(shorter && certainlyBelow(shorter, 0.512) && certainlyAbove(shorter, 0.256), 'decided on its edges');
  assert.deepEqual(bucketQuantile(0.99, cumulative(HTTP_EDGES, times(10, 0.0004))), { lo: 0, hi: 0.001 });
  assert.equal(formatFigure('serverP99', 0.001, 0), '≤ 1 ms');
  assert.equal(bucketQuantile(0.99, cumulative(HTTP_EDGES, [])), null);
});

test('the threadpool canary leaves out the loop’s share: a blocked loop is not an idle threadpool’s starvation', () => {
  // Blocked loop (ELU 1), idle threadpool: the canary's callback waited 1-2.5 s behind 600 ms stalls.
  const blocked = threadpoolCanaryOf(cumulative(HTTP_EDGES, [0.0002, 1.7]), 0, 1);
  assert.deepEqual(blocked, { lo: 0, hi: 2.5 }, 'nothing certainly the threadpool’s; the measured upper bound stays');
  assert.ok(blocked && !certainlyAbove(blocked, 0.05));
  // Starved threadpool, free loop (ELU 0.1): the wait is the threadpool's.
  const starved = threadpoolCanaryOf(cumulative(HTTP_EDGES, [0.3, 0.35]), 0.1, 0.1);
  assert.deepEqual(starved, { lo: 0.25 * 0.9, hi: 0.5 });
  assert.ok(starved && certainlyAbove(starved, 0.2));
  // A canary stuck in the pool shows through its pending age even when none finished.
  assert.deepEqual(threadpoolCanaryOf(cumulative(HTTP_EDGES, []), 0.8, 0.05), { lo: 0.8 * 0.95, hi: 0.8 });
  // ELU unknown (a stale second): nothing is claimed.
  assert.equal(threadpoolCanaryOf(cumulative(HTTP_EDGES, [0.3]), 0, undefined)?.lo, 0);
});

test('client bins: an error is counted without a latency, and a P99 that is a timeout reads "at least the timeout"', () => {
  const timeline = new Timeline(RUN_START_MS, 2);
  for (let i = 0; i < 98; i += 1) timeline.addClient('pressure', RUN_START_MS + 10 * i, 2, 'ok');
  timeline.addClient('pressure', RUN_START_MS + 5, null, 'error');
  timeline.addClient('pressure', RUN_START_MS + 6, null, 'error');
  const pressure = timeline.clientBin('pressure', 0);
  assert.equal(pressure?.histogram.totalCount, 98, 'errors add no 0 ms latencies');
  assert.equal(pressure?.errors, 2);
  assert.deepEqual(buildReadings(timeline).errorRate[0], { lo: 0.02, hi: 0.02 });
  assert.ok(Math.abs((clientQuantile(pressure, 0.99)?.lo ?? 0) - 0.002) < 1e-5);

  for (let i = 0; i < 95; i += 1) timeline.addClient('probe', RUN_START_MS + 1000 + 10 * i, 3, 'ok');
  for (let i = 0; i < 5; i += 1) timeline.addClient('probe', RUN_START_MS + 1000 + 10 * i, 5000 + i, 'timeout');
  const censored = clientQuantile(timeline.clientBin('probe', 1), 0.99);
  assert.deepEqual(censored, { lo: 5, hi: Number.POSITIVE_INFINITY }, '5 % timed out: the P99 is one of them');
  assert.equal(formatFigure('probeP99', null, censored?.lo), '≥ 5000 ms');
  const one = new Timeline(RUN_START_MS, 1);
  for (let i = 0; i < 199; i += 1) one.addClient('probe', RUN_START_MS + i, 3, 'ok');
  one.addClient('probe', RUN_START_MS + 500, 5000, 'timeout');
  assert.ok(Math.abs((clientQuantile(one.clientBin('probe', 0), 0.99)?.hi ?? 0) - 0.003) < 1e-4, 'one timeout in 200 leaves the P99 exact');
});

test('latencies are from the intended send time; the same records from the actual send time leave the sender’s lateness out', () => {
  const timeline = new Timeline(RUN_START_MS, 1);
  for (let i = 0; i < 100; i += 1) timeline.addClient('probe', RUN_START_MS + 10 * i, 40, 'ok', i < 10 ? 35 : 0.5);
  assert.equal(timeline.basis, 'intended');
  assert.ok(Math.abs((clientQuantile(timeline.clientBin('probe', 0), 0.99)?.lo ?? 0) - 0.04) < 1e-4);
  const fromSend = timeline.fromSendTimes();
  assert.equal(fromSend.basis, 'send');
  assert.ok(Math.abs((clientQuantile(fromSend.clientBin('probe', 0), 0.99)?.lo ?? 0) - 0.0395) < 1e-4);
  assert.deepEqual(timeline.maxLatenessMs('probe'), [35]);
});
