// Lead times: a crossing is a rise from below the threshold, sustained, from onset on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstCrossing, leadTimes } from '../src/analysis/lead-times.js';
import { onsetOf, plan } from '../src/plan.js';
import { type Reading, exact } from '../src/analysis/range.js';
import type { ReadingSeries } from '../src/analysis/series.js';
import type { LeadTimeRow } from '../src/report/schema.js';
import { SIGNALS, SIGNAL_IDS, type SignalId } from '../src/signals.js';

const series = (values: (number | null)[]): (Reading | null)[] => values.map((v) => (v === null ? null : exact(v)));
const bucket = (lo: number, hi: number): Reading => ({ lo, hi });

test('a signal already above its threshold before onset did not cross at onset', () => {
  // The blocking baseline's ELU (0.80-0.88) against a 0.8 threshold, fault from second 4.
  const elu = series([0.85, 0.82, 0.88, 0.84, 1, 1, 1, 1]);
  assert.deepEqual(firstCrossing(elu, 4, 0.8), { status: 'already-above', first: null, sustained: null });
  // The same signal dipping below after onset and rising again: that rise is the crossing.
  assert.deepEqual(firstCrossing(series([0.85, 0.82, 0.88, 0.84, 0.7, 0.95, 0.97, 1]), 4, 0.8), {
    status: 'crossed',
    first: 5,
    sustained: 5,
  });
  // Below before onset: a crossing at onset counts.
  assert.deepEqual(firstCrossing(series([0.5, 0.52, 0.49, 0.5, 1, 1, 1, 1]), 4, 0.8), { status: 'crossed', first: 4, sustained: 4 });
  // One noisy second just before onset is no more a rise than it would be a crossing.
  assert.deepEqual(firstCrossing(series([0.5, 0.52, 0.49, 0.9, 1, 1, 1, 1]), 4, 0.8), { status: 'crossed', first: 4, sustained: 4 });
  assert.deepEqual(firstCrossing(series([0.5, 0.9, 0.49, 0.5, 1, 1, 1, 1]), 4, 0.8), { status: 'crossed', first: 4, sustained: 4 });
});

test('no reading before the fault and above from the first one: no crossing to time', () => {
  // A pressure stream that only starts with the fault.
  assert.deepEqual(firstCrossing(series([null, null, null, null, 0.6, 0.61, 0.6]), 4, 0.5), {
    status: 'already-above',
    first: null,
    sustained: null,
  });
  assert.deepEqual(firstCrossing(series([null, null, null]), 1, 0.5), { status: 'no-data', first: null, sustained: null });
  assert.deepEqual(firstCrossing(series([0.1, 0.1, 0.2, 0.1]), 1, 0.5), { status: 'never', first: null, sustained: null });
});

test('a crossing must last: one noisy second is not a turn, and stale seconds neither confirm nor break it', () => {
  // The spike at 2 is the first crossing; the rise at 4 that holds is the first sustained one.
  assert.deepEqual(firstCrossing(series([0.1, 0.1, 0.9, 0.1, 0.9, 0.9, 0.1]), 1, 0.5), { status: 'crossed', first: 2, sustained: 4 });
  assert.deepEqual(firstCrossing(series([0.1, 0.1, 0.9, null, null, 0.9, 0.1]), 1, 0.5), { status: 'crossed', first: 2, sustained: 2 });
  // A spike that never holds is intermittent, not "never".
  assert.deepEqual(firstCrossing(series([0.1, 0.1, 0.9, null, 0.2]), 1, 0.5), { status: 'intermittent', first: 2, sustained: null });
  // The run ends while it is above: that counts.
  assert.deepEqual(firstCrossing(series([0.1, 0.1, 0.1, 0.9]), 1, 0.5), { status: 'crossed', first: 3, sustained: 3 });
});

test('bucket readings decide only on their edges: a bucket straddling the threshold neither arms nor crosses', () => {
  const straddling = bucket(0.032, 0.064);
  assert.deepEqual(firstCrossing([bucket(0, 0.002), bucket(0, 0.002), straddling, straddling, straddling], 2, 0.05), {
    status: 'never',
    first: null,
    sustained: null,
  });
  assert.deepEqual(firstCrossing([bucket(0, 0.002), bucket(0, 0.002), bucket(0.064, 0.128), bucket(0.512, 1.024)], 2, 0.064), {
    status: 'crossed',
    first: 2,
    sustained: 2,
  });
  // Straddling before onset says nothing: the signal is not known to be below, so no crossing counts.
  assert.deepEqual(firstCrossing([straddling, straddling, bucket(0.512, 1.024), bucket(0.512, 1.024)], 2, 0.05), {
    status: 'already-above',
    first: null,
    sustained: null,
  });
});

function readings(values: Partial<Record<SignalId, (Reading | null)[]>>, length: number): ReadingSeries {
  return Object.fromEntries(SIGNAL_IDS.map((id) => [id, values[id] ?? Array.from({ length }, () => null)])) as ReadingSeries;
}

test('the table reports each row’s status, times relative to onset and to the probe’s SLO breach, and bucket values as bounds', () => {
  const thresholds = Object.fromEntries(SIGNAL_IDS.map((id) => [id, SIGNALS[id].defaultThreshold])) as Record<SignalId, number>;
  thresholds.loopDelayP99 = 0.064;
  const low = bucket(0, 0.002);
  const high = bucket(0.512, 1.024);
  const { rows, sloBreachSeconds } = leadTimes({
    phaseAt: (bin) => (bin < 3 ? 'baseline' : bin < 7 ? 'fault' : 'recovery'),
    onsetSeconds: 3,
    onsetEndSeconds: 7,
    thresholds,
    readings: readings(
      {
        probeP99: series([0.003, 0.002, 0.003, 0.004, 0.6, 1.2, 1.1, 1.2]),
        loopDelayP99: [low, low, low, high, high, high, high, high],
        // Above before onset, and its dip and climb back in the next phase (second 7 on) is no crossing either.
        elu: series([0.85, 0.9, 0.82, 0.99, 1, 1, 1, 0.5, 0.9, 0.9]),
        serverP99: [low, low, low, low, low, low, low, low],
      },
      8,
    ),
  });
  const row = (id: SignalId) => rows.find((r) => r.signal === id);
  assert.equal(sloBreachSeconds, 4);
  assert.deepEqual(
    {
      status: row('loopDelayP99')?.status,
      after: row('loopDelayP99')?.afterOnsetSeconds,
      vs: row('loopDelayP99')?.relativeToSloBreachSeconds,
    },
    { status: 'crossed', after: 0, vs: -1 },
  );
  assert.equal(row('loopDelayP99')?.valueAtCrossing, 1.024);
  assert.equal(row('loopDelayP99')?.valueAtCrossingLower, 0.512);
  assert.equal(row('elu')?.status, 'already-above');
  assert.equal(row('elu')?.dataBeforeOnset, true);
  assert.equal(row('elu')?.afterOnsetSeconds, null, 'no "+0 s" for a signal that was already up');
  assert.equal(row('serverP99')?.status, 'never');
  assert.equal(row('backlog')?.status, 'no-data');
  assert.equal(row('backlog')?.hasData, false);
});

const phaseOf = (bin: number): string => (bin < 3 ? 'baseline' : bin < 7 ? 'fault' : 'recovery');
const defaults = (): Record<SignalId, number> =>
  Object.fromEntries(SIGNAL_IDS.map((id) => [id, SIGNALS[id].defaultThreshold])) as Record<SignalId, number>;

test('a row never says "never" while the signal was above somewhere: later, before onset, or in a phase summary', () => {
  const { rows } = leadTimes({
    onsetSeconds: 3,
    onsetEndSeconds: 7,
    thresholds: defaults(),
    phaseAt: phaseOf,
    // The phase summary of the pool queue is above 5 in the fault phase (say, an expectation's max).
    abovePhases: (signal) => (signal === 'poolQueue' ? ['fault'] : []),
    readings: readings(
      {
        backlog: series([0, 0, 0, 1, 2, 3, 4, 30, 40, 10]),
        elu: series([0.9, 0.3, 0.2, 0.3, 0.4, 0.3, 0.2, 0.1, 0.1, 0.1]),
        poolQueue: series([0, 0, 0, 4, 5, 5, 4, 0, 0, 0]),
        errorRate: series([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      },
      10,
    ),
  });
  const row = (id: SignalId) => rows.find((r) => r.signal === id) as LeadTimeRow;
  assert.deepEqual(
    [row('backlog').status, row('backlog').firstCrossingSeconds, row('backlog').firstCrossingPhase],
    ['later', 7, 'recovery'],
  );
  assert.deepEqual([row('elu').status, row('elu').firstCrossingSeconds, row('elu').firstCrossingPhase], ['before-onset', 0, 'baseline']);
  assert.deepEqual([row('poolQueue').status, row('poolQueue').abovePhases], ['summary-only', ['fault']]);
  assert.equal(row('errorRate').status, 'never');
});

test('an intermittent breach has a first crossing and no sustained one; the SLO breach and "vs breach" use sustained crossings', () => {
  const { rows, sloBreachSeconds, coldSloBreachSeconds } = leadTimes({
    onsetSeconds: 2,
    onsetEndSeconds: 10,
    thresholds: defaults(),
    phaseAt: () => 'fault',
    readings: readings(
      {
        probeP99: series([0.01, 0.01, 0.01, 0.5, 0.01, 0.6, 0.7, 0.8, 0.9, 0.9]),
        coldProbeP99: series([0.01, 0.01, 2, 3, 4, 5, 6, 7, 8, 9]),
        loopStall: series([0, 0, 0.5, 0, 0.6, 0, 0.05, 0, 0, 0]),
      },
      10,
    ),
  });
  const row = (id: SignalId) => rows.find((r) => r.signal === id) as LeadTimeRow;
  assert.equal(sloBreachSeconds, 5, 'the warm probe’s spike at 3 did not hold: its breach is the rise at 5');
  assert.equal(coldSloBreachSeconds, 2);
  assert.deepEqual([row('probeP99').firstCrossingSeconds, row('probeP99').firstSustainedCrossingSeconds], [3, 5]);
  assert.deepEqual(
    [row('loopStall').status, row('loopStall').firstCrossingSeconds, row('loopStall').firstSustainedCrossingSeconds],
    ['intermittent', 2, null],
  );
  assert.equal(row('loopStall').relativeToSloBreachSeconds, null, 'an intermittent row is not compared with a breach');
  assert.deepEqual([row('coldProbeP99').relativeToSloBreachSeconds, row('coldProbeP99').relativeToColdSloBreachSeconds], [-3, 0]);
});

test('without an onset (no fault) crossings count from the start of the run: above from the first reading crosses at t = 0', () => {
  // The baseline scenario: ELU 0.85–0.9 under its own load, threshold 0.8.
  const elu = series([0.85, 0.88, 0.9, 0.87, 0.86, 0.5, 0.5]);
  assert.deepEqual(firstCrossing(elu, 0, 0.8, 2, true), { status: 'crossed', first: 0, sustained: 0 });
  const { rows } = leadTimes({
    onsetSeconds: null,
    onsetEndSeconds: 7,
    thresholds: defaults(),
    phaseAt: () => 'steady',
    readings: readings({ elu }, 7),
  });
  const row = rows.find((r) => r.signal === 'elu') as LeadTimeRow;
  assert.deepEqual([row.status, row.firstSustainedCrossingSeconds, row.afterOnsetSeconds, row.dataBeforeOnset], ['crossed', 0, 0, false]);
});

test('onset is the phase that first switches a fault on (or is marked onset); load alone is not an onset, and no fault means no onset', () => {
  const load = { streams: [{ kind: 'ramp' as const, route: '/api/orders', startRate: 10, stepRate: 10, stepSeconds: 1 }] };
  assert.equal(
    onsetOf(
      plan([
        { name: 'warm', durationSeconds: 2, ...load },
        { name: 'fault', durationSeconds: 2, faults: { blocking: {} } },
      ]),
    )?.phase.name,
    'fault',
  );
  assert.equal(
    onsetOf(
      plan([
        { name: 'steady', durationSeconds: 2, ...load },
        { name: 'more', durationSeconds: 2, faults: {} },
      ]),
    ),
    undefined,
  );
  assert.equal(
    onsetOf(
      plan([
        { name: 'a', durationSeconds: 2 },
        { name: 'b', durationSeconds: 2, onset: true },
        { name: 'c', durationSeconds: 2, faults: { blocking: {} } },
      ]),
    )?.phase.name,
    'b',
  );
});

test('each named stream gets a row of its own: its own threshold, first and sustained crossing vs onset and both SLO breaches', () => {
  const storefront = series([0.02, 0.03, 0.02, 0.02, 0.15, 0.6, 0.4, 0.05, 0.04, 0.03]);
  const { rows, streamRows } = leadTimes({
    onsetSeconds: 3,
    onsetEndSeconds: 7,
    thresholds: defaults(),
    phaseAt: phaseOf,
    readings: readings(
      { probeP99: series([0.01, 0.01, 0.01, 0.01, 0.01, 0.3, 0.5, 0.01, 0.01, 0.01]), coldProbeP99: series(Array(10).fill(0.01)) },
      10,
    ),
    streams: [
      // 100 ms: the spike at 4 holds (4, 5, 6): sustained at 4, one second before the warm breach at 5.
      { stream: 'storefront', values: storefront, threshold: 0.1, abovePhases: ['fault'] },
      // The same figures against its own 500 ms SLO: one second above, never two in a row.
      { stream: 'storefront-500', values: storefront, threshold: 0.5, abovePhases: [] },
      // Sends nothing (a rate of 0.01/s that never came due): no data, not "never".
      { stream: 'rare', values: series(Array(10).fill(null)), threshold: 0.1, abovePhases: [] },
    ],
  });
  assert.equal(rows.length, SIGNAL_IDS.length, 'the signal rows are unchanged: streams have their own list');
  const row = (name: string) => streamRows.find((r) => r.stream === name) as LeadTimeRow;
  assert.deepEqual(
    {
      signal: row('storefront').signal,
      label: row('storefront').label,
      threshold: row('storefront').threshold,
      status: row('storefront').status,
      first: row('storefront').firstCrossingSeconds,
      sustained: row('storefront').firstSustainedCrossingSeconds,
      afterOnset: row('storefront').sustainedAfterOnsetSeconds,
      phase: row('storefront').firstCrossingPhase,
      vsWarm: row('storefront').relativeToSloBreachSeconds,
      vsCold: row('storefront').relativeToColdSloBreachSeconds,
      value: row('storefront').valueAtCrossing,
    },
    {
      signal: 'rampP99',
      label: 'stream storefront P99',
      threshold: 0.1,
      status: 'crossed',
      first: 4,
      sustained: 4,
      afterOnset: 1,
      phase: 'fault',
      vsWarm: -1,
      vsCold: null,
      value: 0.15,
    },
  );
  assert.deepEqual(
    [row('storefront-500').status, row('storefront-500').firstCrossingSeconds, row('storefront-500').threshold],
    ['intermittent', 5, 0.5],
  );
  assert.deepEqual([row('rare').status, row('rare').hasData], ['no-data', false]);
});
