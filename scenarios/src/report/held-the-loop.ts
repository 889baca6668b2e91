// The report's "What held the loop" section: the service's attributed stalls (the watchdog's
// captured stacks, sample/stalls.ts), grouped per phase by the frame they were attributed to.
// Its own schema piece, summary and renderers, so the rest of the report only plugs it in.
import { type Static, Type } from '@sinclair/typebox';
import type { PlannedPhase } from '../plan.js';
import type { CollectedStalls } from '../sample/stalls.js';

/** Frames listed per phase; the rest are summed into one "other frames" row. */
export const FRAMES_PER_PHASE = 5;
const OTHER_ROW = 'other frames';
const NO_FRAME = 'no JavaScript frame (native code held the loop)';

export const HeldTheLoopSchema = Type.Object(
  {
    available: Type.Boolean({ description: 'false when the service does not attribute stalls (see note)' }),
    note: Type.Optional(Type.String()),
    thresholdMs: Type.Union([Type.Number(), Type.Null()], { description: 'stalls shorter than this are not attributed' }),
    phases: Type.Array(
      Type.Object({
        phase: Type.String(),
        rows: Type.Array(
          Type.Object({
            frame: Type.String({ description: 'function (file:line), TypeScript position where the service has source maps' }),
            stalls: Type.Integer({ minimum: 1 }),
            stalledSeconds: Type.Number({ minimum: 0 }),
            longestSeconds: Type.Number({ minimum: 0 }),
          }),
        ),
      }),
    ),
  },
  { description: 'what held the event loop: stalls longer than the threshold, by the frame the service captured while they lasted' },
);
export type HeldTheLoop = Static<typeof HeldTheLoopSchema>;
type Row = HeldTheLoop['phases'][number]['rows'][number];

/** Assigns each stall to the phase it began in (run time from `startMs`) and sums it per frame. */
export function summariseHeldTheLoop(collected: CollectedStalls, phases: PlannedPhase[], startMs: number): HeldTheLoop {
  const result: HeldTheLoop = { available: collected.available, thresholdMs: collected.thresholdMs, phases: [] };
  if (collected.note) result.note = collected.note;
  for (const { phase, startSeconds } of phases) {
    const endSeconds = startSeconds + phase.durationSeconds;
    const byFrame = new Map<string, Row>();
    for (const stall of collected.stalls) {
      const atSeconds = (Date.parse(stall.startedAt) - startMs) / 1000;
      if (atSeconds < startSeconds || atSeconds >= endSeconds) continue;
      const frame = stall.label ?? NO_FRAME;
      const row = byFrame.get(frame) ?? { frame, stalls: 0, stalledSeconds: 0, longestSeconds: 0 };
      row.stalls += 1;
      row.stalledSeconds += stall.durationSeconds;
      row.longestSeconds = Math.max(row.longestSeconds, stall.durationSeconds);
      byFrame.set(frame, row);
    }
    const sorted = [...byFrame.values()].sort((a, b) => b.stalledSeconds - a.stalledSeconds);
    const rows = sorted.slice(0, FRAMES_PER_PHASE);
    const rest = sorted.slice(FRAMES_PER_PHASE);
    if (rest.length > 0) {
      rows.push({
        frame: `${OTHER_ROW} (${rest.length})`,
        stalls: rest.reduce((n, r) => n + r.stalls, 0),
        stalledSeconds: rest.reduce((n, r) => n + r.stalledSeconds, 0),
        longestSeconds: Math.max(...rest.map((r) => r.longestSeconds)),
      });
    }
    result.phases.push({ phase: phase.name, rows });
  }
  return result;
}

/** One line per phase for terminals: its top frame and how long it held the loop. */
export function heldTheLoopLines(held: HeldTheLoop): string[] {
  if (!held.available) return [`what held the loop: not known (${held.note ?? 'stall attribution unavailable'})`];
  return held.phases.map((p) => {
    const top = p.rows[0];
    if (!top) return `${p.phase}: no stall over ${held.thresholdMs} ms`;
    return `${p.phase}: ${top.frame}, ${top.stalls} stall${top.stalls === 1 ? '' : 's'}, ${top.stalledSeconds.toFixed(1)} s stalled`;
  });
}

/** Header and cells of the section's table (plain text; the caller escapes for its format). */
export function heldTheLoopTable(held: HeldTheLoop): { intro: string; header: string[]; rows: string[][] } {
  const intro = held.available
    ? `Stalls longer than ${held.thresholdMs} ms, by the function the service's watchdog captured on the event loop while each lasted (the frame most samples named; file:line in the TypeScript source where source maps exist). A stall is counted in the phase it began in.`
    : `Not known: ${held.note ?? 'the service does not attribute stalls'}.`;
  const rows = held.available
    ? held.phases.flatMap((p) =>
        p.rows.length === 0
          ? [[p.phase, `no stall over ${held.thresholdMs} ms`, '0', '0', '']]
          : p.rows.map((r) => [p.phase, r.frame, String(r.stalls), r.stalledSeconds.toFixed(2), r.longestSeconds.toFixed(2)]),
      )
    : [];
  return { intro, header: ['phase', 'what held the loop', 'stalls', 'stalled s', 'longest s'], rows };
}
