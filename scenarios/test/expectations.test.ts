// Expectations: conservative on histogram buckets both ways, lead expectations that need both
// signals to cross, and a verdict that is "inconclusive" when it rests on the runner's lateness.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate, evaluateLead } from '../src/analysis/expectations.js';
import { LIVENESS_DEFAULTS, livenessVerdict } from '../src/analysis/liveness.js';
import { buildReadings } from '../src/analysis/series.js';
import { Timeline } from '../src/analysis/timeline.js';
import type { Expectation, Scenario } from '../src/define.js';
import { plan } from '../src/plan.js';
import { assembleReport } from '../src/report/assemble.js';
import { observedText } from '../src/report/format.js';
import type { LeadTimeRow, PhaseReport } from '../src/report/schema.js';
import { reportProblems } from '../src/report/write.js';
import { RUN_START_MS, snapshot, times } from './fixtures.js';

const NORMAL = (n: number) => times(n, 0.0008);

/** Two phases of 3 s: "baseline" then "fault", with the fault's loop stalls and server durations given. */
function twoPhases(faultStalls: number[], faultServer: number[]): { timeline: Timeline; phases: PhaseReport[] } {
  const timeline = new Timeline(RUN_START_MS, 6);
  const loop = (i: number) => (i <= 3 ? NORMAL(100 * (i + 1)) : [...NORMAL(100 * (i + 1)), ...faultStalls.flatMap((s) => times(i - 3, s))]);
  const server = (i: number) =>
    i <= 3 ? times(10 * (i + 1), 0.0004) : [...times(10 * (i + 1), 0.0004), ...faultServer.flatMap((s) => times(i - 3, s))];
  timeline.setSnapshots(
    Array.from({ length: 7 }, (_, i) => snapshot({ index: i, activeSeconds: i * 0.5, loopDelays: loop(i), serverDurations: server(i) })),
  );
  const phase = (name: string, startSeconds: number): PhaseReport =>
    ({ name, startSeconds, durationSeconds: 3, settleSeconds: 0 }) as PhaseReport;
  return { timeline, phases: [phase('baseline', 0), phase('fault', 3)] };
}

function judge(faultStalls: number[], faultServer: number[], expectations: Expectation[]) {
  const { timeline, phases } = twoPhases(faultStalls, faultServer);
  return evaluate(expectations, { timeline, readings: buildReadings(timeline), phases, leadTimes: [] });
}

test('"above" trusts a bucket’s lower bound: 600 ms stalls pass "loop delay p99 above 0.5 s", 260 ms stalls do not', () => {
  const above = { phase: 'fault', signal: 'loopDelayP99', above: 0.5 } as const;
  const [long] = judge(times(5, 0.6), [], [above]);
  assert.equal(long?.passed, true);
  assert.equal(long?.observed, 1.024);
  assert.equal(long?.observedLower, 0.512);
  assert.equal(long && observedText(long), '512–1024 ms');
  const [short] = judge(times(5, 0.26), [], [above]);
  assert.equal(short?.passed, false, '256–512 ms cannot be shown to be above 500 ms');
});

test('"below" trusts a bucket’s upper bound, and a bound relative to another phase takes that phase’s side', () => {
  const below = { phase: 'fault', signal: 'serverP99', below: 0.05 } as const;
  assert.equal(judge([], times(20, 0.03), [below])[0]?.passed, true, '25–50 ms is below 50 ms');
  assert.equal(judge([], times(20, 0.06), [below])[0]?.passed, false, '50–100 ms is not');
  // Fault p99 in 512–1024 ms; "baseline below 0.2 × fault" must beat 0.2 × 512 ms, not 0.2 × 1024 ms.
  const [relative] = judge(times(5, 0.6), [], [{ phase: 'baseline', signal: 'loopDelayP99', below: { phase: 'fault', factor: 0.2 } }]);
  assert.ok(Math.abs((relative?.below ?? 0) - 0.1024) < 1e-12, `bound ${relative?.below}`);
  assert.equal(relative?.passed, true);
  const [relativeAbove] = judge(times(5, 0.6), [], [{ phase: 'fault', signal: 'loopDelayP99', above: { phase: 'baseline', factor: 100 } }]);
  assert.ok(Math.abs((relativeAbove?.above ?? 0) - 0.1) < 1e-12, '"above 100 × baseline" takes the baseline’s upper bound (1 ms)');
  assert.equal(relativeAbove?.passed, true);
});

const row = (signal: LeadTimeRow['signal'], status: LeadTimeRow['status'], at: number | null): LeadTimeRow => ({
  signal,
  label: signal,
  threshold: 0,
  status,
  firstCrossingSeconds: at,
  firstCrossingPhase: at === null ? null : 'fault',
  firstSustainedCrossingSeconds: status === 'crossed' ? at : null,
  afterOnsetSeconds: at,
  sustainedAfterOnsetSeconds: status === 'crossed' ? at : null,
  relativeToSloBreachSeconds: null,
  relativeToColdSloBreachSeconds: null,
  valueAtCrossing: null,
  abovePhases: [],
  hasData: status !== 'no-data',
  dataBeforeOnset: true,
});

test('a lead expectation needs both signals to cross: a later signal that never does, or has no data, is "not observed"', () => {
  const lead = { leads: 'elu', before: 'probeP99', bySeconds: 1 } as const;
  const both = evaluateLead(lead, [row('elu', 'crossed', 10), row('probeP99', 'crossed', 13)]);
  assert.deepEqual({ passed: both.passed, observed: both.observed }, { passed: true, observed: 3 });
  assert.equal(evaluateLead(lead, [row('elu', 'crossed', 10), row('probeP99', 'crossed', 10)]).passed, false, 'together is no lead');
  const never = evaluateLead(lead, [row('elu', 'crossed', 10), row('probeP99', 'never', null)]);
  assert.equal(never.passed, false);
  assert.equal(observedText(never), 'not observed: warm probe P99 (keep-alive) never crossed');
  assert.equal(evaluateLead(lead, [row('elu', 'crossed', 10), row('probeP99', 'no-data', null)]).passed, false);
  assert.equal(evaluateLead(lead, [row('elu', 'already-above', null), row('probeP99', 'crossed', 12)]).passed, false, 'no rise, no lead');
  assert.equal(
    evaluateLead(lead, [row('elu', 'intermittent', 10), row('probeP99', 'crossed', 12)]).passed,
    false,
    'a spike that never held is no lead',
  );
  const late = evaluateLead(lead, [row('elu', 'crossed', 21), row('probeP99', 'crossed', 10)]);
  assert.deepEqual(
    { passed: late.passed, observed: late.observed, text: observedText(late) },
    { passed: false, observed: -11, text: '11 s later, not earlier' },
  );
  // Opting in: a leading signal whose storm never came passes, but only against real data.
  const optIn = { ...lead, passIfLaterNeverCrosses: true };
  assert.equal(evaluateLead(optIn, [row('elu', 'crossed', 10), row('probeP99', 'never', null)]).passed, true);
  assert.equal(evaluateLead(optIn, [row('elu', 'crossed', 10), row('probeP99', 'no-data', null)]).passed, false);
});

test('a lead expectation can name a stream’s row: found by its name, never confused with the signal rows, and a silent stream has no data', () => {
  const stream = (name: string, status: LeadTimeRow['status'], at: number | null): LeadTimeRow => ({
    ...row('rampP99', status, at),
    stream: name,
    label: `stream ${name} P99`,
  });
  // The aggregate rampP99 row crossed at 20; the storefront stream's own row at 11.
  // The stream's row first: a signal is never looked up among the streams' rows.
  const rows = [stream('storefront', 'crossed', 11), row('rampP99', 'crossed', 20), row('serverP99', 'never', null)];
  const first = evaluateLead({ leads: { stream: 'storefront' }, before: 'rampP99', bySeconds: 5 }, rows);
  assert.deepEqual(
    { passed: first.passed, observed: first.observed, stream: first.stream, description: first.description },
    {
      passed: true,
      observed: 9,
      stream: 'storefront',
      description: 'stream storefront P99 crosses its threshold at least 5 s before ramp P99 (open loop)',
    },
  );
  // "Users noticed; the server-side dashboards never did."
  const unseen = evaluateLead({ leads: { stream: 'storefront' }, before: 'serverP99', passIfLaterNeverCrosses: true }, rows);
  assert.equal(unseen.passed, true);
  const behind = evaluateLead({ leads: 'rampP99', before: { stream: 'storefront' } }, rows);
  assert.deepEqual([behind.passed, behind.observed], [false, -9]);
  const silent = evaluateLead({ leads: { stream: 'rare' }, before: 'rampP99' }, rows);
  assert.deepEqual([silent.passed, observedText(silent)], [false, 'not observed: stream rare P99 has no data']);
});

function lateRun(expectation: Expectation, scheduleP99Ms: number) {
  const scenario: Scenario = {
    name: 'late',
    title: 'Late',
    description: 'x',
    phases: [{ name: 'only', durationSeconds: 3, settleSeconds: 0 }],
    expectations: [expectation],
  };
  const timeline = new Timeline(RUN_START_MS, 3);
  // 25 ms from the intended time, of which the sender was 10 ms late: 15 ms from the actual send.
  for (let i = 0; i < 150; i += 1) timeline.addClient('probe', RUN_START_MS + 20 * i, 25, 'ok', 10);
  timeline.setSnapshots(
    Array.from({ length: 4 }, (_, i) => snapshot({ index: i, activeSeconds: i * 0.2, loopDelays: NORMAL(100 * (i + 1)) })),
  );
  return assembleReport({
    scenario,
    source: 'late.scenario.ts',
    quick: false,
    target: { apiUrl: 'http://127.0.0.1:1', metricsUrl: 'http://127.0.0.1:2/metrics' },
    metricsSource: { kind: 'telemetry', unavailable: [] },
    usesAdmin: true,
    probe: { route: '/api/ping', ratePerSecond: 50, timeoutMs: 5000, sloMs: 100 },
    coldProbe: { route: '/api/ping', ratePerSecond: 10, timeoutMs: 5000, sloMs: 100 },
    liveness: livenessVerdict(LIVENESS_DEFAULTS, []),
    phases: plan(scenario.phases),
    timeline,
    startedAt: new Date(RUN_START_MS),
    wallSeconds: 3,
    cpuSeconds: 0.3,
    scheduleError: { p99Ms: scheduleP99Ms, maxMs: scheduleP99Ms },
    probeSockets: 100,
    restored: true,
  });
}

test('a verdict that rests on the runner’s own lateness is inconclusive (exit 2); lateness that changes nothing is reported, not fatal', () => {
  const dependent = lateRun({ phase: 'only', signal: 'probeP99', below: 0.02 }, 10);
  assert.deepEqual(reportProblems(dependent), []);
  assert.equal(dependent.verdict, 'inconclusive');
  assert.equal(dependent.exitCode, 2);
  assert.match(
    dependent.inconclusive ?? '',
    /^the runner could not keep its schedule \(probe send lateness p99 10\.0 ms, max 10 ms\): "only: warm probe P99 \(keep-alive\) \(p99\) below 20 ms" fails only when that lateness is charged to the service/,
  );
  assert.equal(dependent.expectations[0]?.passed, false, 'the expectation itself is reported as measured (from the intended time)');

  const robust = lateRun({ phase: 'only', signal: 'probeP99', below: 0.1 }, 12);
  assert.deepEqual({ verdict: robust.verdict, exitCode: robust.exitCode }, { verdict: 'passed', exitCode: 0 });
  assert.ok(
    robust.notes.some((n) =>
      n.startsWith('The runner fell behind its schedule: probe send lateness p99 12.0 ms, over 10 % of the SLO (10 ms)'),
    ),
  );
  assert.equal(robust.runner.probeScheduleErrorLimitMs, 10);
  assert.equal(
    lateRun({ phase: 'only', signal: 'probeP99', below: 0.1 }, 2).notes.some((n) => n.startsWith('The runner fell behind')),
    false,
  );
});
