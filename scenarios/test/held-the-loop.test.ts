// The report's "What held the loop" section from collected stalls: phase assignment by start
// time, per-frame sums, top-N plus one "other frames" row, and the unavailable case.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlannedPhase } from '../src/plan.js';
import type { StallRecord } from '../src/sample/stalls.js';
import { FRAMES_PER_PHASE, heldTheLoopLines, heldTheLoopTable, summariseHeldTheLoop } from '../src/report/held-the-loop.js';

const START_MS = Date.parse('2026-01-01T00:00:00.000Z');
const phases = [
  { phase: { name: 'baseline', durationSeconds: 10 }, startSeconds: 0, settleSeconds: 1 },
  { phase: { name: 'fault', durationSeconds: 10 }, startSeconds: 10, settleSeconds: 1 },
] as unknown as PlannedPhase[];

function stall(atSeconds: number, label: string | null, durationSeconds: number): StallRecord {
  return { startedAt: new Date(START_MS + atSeconds * 1000).toISOString(), durationSeconds, label };
}

test('stalls are counted in the phase they began in, summed per frame, longest first', () => {
  const held = summariseHeldTheLoop(
    {
      available: true,
      thresholdMs: 100,
      stalls: [
        stall(9.99, 'a (x.ts:1)', 0.5),
        stall(10, 'a (x.ts:1)', 0.2),
        stall(12, 'b (y.ts:2)', 1.5),
        stall(13, null, 0.3),
        stall(20, 'late (z.ts:3)', 1),
      ],
    },
    phases,
    START_MS,
  );
  assert.deepEqual(held.phases[0], {
    phase: 'baseline',
    rows: [{ frame: 'a (x.ts:1)', stalls: 1, stalledSeconds: 0.5, longestSeconds: 0.5 }],
  });
  assert.deepEqual(
    held.phases[1]?.rows.map((r) => [r.frame, r.stalls, r.stalledSeconds]),
    [
      ['b (y.ts:2)', 1, 1.5],
      ['no JavaScript frame (native code held the loop)', 1, 0.3],
      ['a (x.ts:1)', 1, 0.2],
    ],
    'a stall at the end of the run (20 s) belongs to no phase',
  );
  assert.deepEqual(heldTheLoopLines(held), ['baseline: a (x.ts:1), 1 stall, 0.5 s stalled', 'fault: b (y.ts:2), 1 stall, 1.5 s stalled']);
});

test(`more than ${FRAMES_PER_PHASE} frames in a phase: the rest are summed in one row`, () => {
  const stalls = Array.from({ length: FRAMES_PER_PHASE + 3 }, (_, i) => stall(11 + i * 0.1, `f${i} (x.ts:${i})`, 1 + i));
  const rows = summariseHeldTheLoop({ available: true, thresholdMs: 100, stalls }, phases, START_MS).phases[1]?.rows ?? [];
  assert.equal(rows.length, FRAMES_PER_PHASE + 1);
  assert.equal(rows[0]?.frame, `f${FRAMES_PER_PHASE + 2} (x.ts:${FRAMES_PER_PHASE + 2})`);
  assert.deepEqual(rows.at(-1), { frame: 'other frames (3)', stalls: 3, stalledSeconds: 1 + 2 + 3, longestSeconds: 3 });
});

test('a service without attribution: the section says so and lists nothing', () => {
  const held = summariseHeldTheLoop(
    { available: false, note: 'the service does not attribute stalls (answered 404)', thresholdMs: null, stalls: [] },
    phases,
    START_MS,
  );
  const table = heldTheLoopTable(held);
  assert.deepEqual(table.rows, []);
  assert.match(table.intro, /^Not known: the service does not attribute stalls/);
  assert.deepEqual(heldTheLoopLines(held), ['what held the loop: not known (the service does not attribute stalls (answered 404))']);
});
