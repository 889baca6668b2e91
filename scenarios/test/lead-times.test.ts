// Lead times: a crossing is a rise from below the threshold, sustained, from onset on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstCrossing, leadTimes } from '../src/analysis/lead-times.js';
import { type Reading, exact } from '../src/analysis/range.js';
import type { ReadingSeries } from '../src/analysis/series.js';
import { SIGNALS, SIGNAL_IDS, type SignalId } from '../src/signals.js';

const series = (values: (number | null)[]): (Reading | null)[] => values.map((v) => (v === null ? null : exact(v)));
const bucket = (lo: number, hi: number): Reading => ({ lo, hi });

test('a signal already above its threshold before onset did not cross at onset', () => {
  // The blocking baseline's ELU (0.80-0.88) against a 0.8 threshold, fault from second 4.
  const elu = series([0.85, 0.82, 0.88, 0.84, 1, 1, 1, 1]);
  assert.deepEqual(firstCrossing(elu, 4, 0.8), { status: 'already-above', first: null, sustained: null });
  // The same signal dipping below after onset and rising again: that rise is the crossing.
  assert.deepEqual(firstCrossing(series([0.85, 0.82, 0.88, 0.84, 0.7, 0.95, 0.97, 1]), 4, 0.8), { status: 'crossed', first: 5, sustained: 5 });
  // Below before onset: a crossing at onset counts.
  assert.deepEqual(firstCrossing(series([0.5, 0.52, 0.49, 0.5, 1, 1, 1, 1]), 4, 0.8), { status: 'crossed', first: 4, sustained: 4 });
  // One noisy second just before onset is no more a rise than it would be a crossing.
  assert.deepEqual(firstCrossing(series([0.5, 0.52, 0.49, 0.9, 1, 1, 1, 1]), 4, 0.8), { status: 'crossed', first: 4, sustained: 4 });
  assert.deepEqual(firstCrossing(series([0.5, 0.9, 0.49, 0.5, 1, 1, 1, 1]), 4, 0.8), { status: 'crossed', first: 4, sustained: 4 });
});

test('no reading before the fault and above from the first one: no crossing to time', () => {
  // A pressure stream that only starts with the fault.
  assert.deepEqual(firstCrossing(series([null, null, null, null, 0.6, 0.61, 0.6]), 4, 0.5), { status: 'already-above', first: null, sustained: null });
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
  assert.deepEqual(firstCrossing([bucket(0, 0.002), bucket(0, 0.002), straddling, straddling, straddling], 2, 0.05), { status: 'never', first: null, sustained: null });
  assert.deepEqual(firstCrossing([bucket(0, 0.002), bucket(0, 0.002), bucket(0.064, 0.128), bucket(0.512, 1.024)], 2, 0.064), { status: 'crossed', first: 2, sustained: 2 });
  // Straddling before onset says nothing: the signal is not known to be below, so no crossing counts.
  assert.deepEqual(firstCrossing([straddling, straddling, bucket(0.512, 1.024), bucket(0.512, 1.024)], 2, 0.05), { status: 'already-above', first: null, sustained: null });
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
    { status: row('loopDelayP99')?.status, after: row('loopDelayP99')?.afterOnsetSeconds, vs: row('loopDelayP99')?.relativeToSloBreachSeconds },
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
