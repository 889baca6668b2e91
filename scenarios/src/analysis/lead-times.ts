// Which signal moved first: for each signal, the second of the onset phase in which it rose
// above its threshold, relative to onset and to the probe's SLO breach. Resolution is the
// sampling interval (1 s).
//
// A rise counts only from below: a signal already above its threshold when the fault starts
// (ELU 0.8-0.9 under the baseline's load, threshold 0.8) did not "cross at onset", and saying
// so would credit it with a lead it never had. Such a row says "already above before onset",
// unless the signal later drops below and rises again, which is then its crossing.
import type { LeadTimeRow } from '../report/schema.js';
import { SIGNALS, SIGNAL_IDS, type SignalId } from '../signals.js';
import { type Reading, certainlyAbove, certainlyBelow, toReportValue } from './range.js';
import type { ReadingSeries } from './series.js';

export interface LeadTimeInput {
  readings: ReadingSeries;
  onsetSeconds: number;
  /**
   * End of the onset phase: crossings are searched in it. A rise in a later phase (a recovery
   * that dips below and climbs back) is not the fault's doing.
   */
  onsetEndSeconds: number;
  thresholds: Record<SignalId, number>;
}

/**
 * A crossing counts when the signal stays above its threshold for SUSTAIN_SECONDS readings in
 * a row (or until the run ends): on a shared machine one noisy second is not a turn. The
 * crossing's time is the first of those seconds. Seconds with no reading (a stale watchdog
 * snapshot, a failed scrape) neither confirm nor break the run: they are skipped.
 */
export const SUSTAIN_SECONDS = 2;

export type CrossingStatus = 'crossed' | 'never' | 'already-above' | 'no-data';

export interface Crossing {
  status: CrossingStatus;
  /** Second of the crossing (status 'crossed'). */
  at: number | null;
}

/**
 * The first rise of `values` above `threshold` at or after `from`, counting only a rise from a
 * reading certainly below it ("armed"). Before `from`, a rise that lasts (SUSTAIN readings, all
 * before `from`) disarms: the signal is above when the fault starts; a lone noisy second just
 * before onset does not, any more than it would count as a crossing. From `from` on, a rise that
 * does not last leaves it armed. A reading a bucket cannot place (it straddles the threshold)
 * changes nothing.
 */
export function firstCrossing(values: (Reading | null)[], from: number, threshold: number, sustain = SUSTAIN_SECONDS): Crossing {
  let armed = false;
  let seenAny = false;
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    seenAny = true;
    if (certainlyBelow(v, threshold)) armed = true;
    else if (certainlyAbove(v, threshold)) {
      if (i < from) {
        if (sustained(values.slice(0, from), i, threshold, sustain, false)) armed = false;
      } else if (armed && sustained(values, i, threshold, sustain)) return { status: 'crossed', at: i };
    }
  }
  if (!seenAny) return { status: 'no-data', at: null };
  // Not armed at the end: never below from onset on, and above at its last clear reading before.
  const everAbove = values.some((v) => v !== null && v !== undefined && certainlyAbove(v, threshold));
  return { status: !armed && everAbove ? 'already-above' : 'never', at: null };
}

/** `sustain` readings above from `start` on; a run cut short by the end of `values` counts only when `untilEnd`. */
function sustained(values: (Reading | null)[], start: number, threshold: number, sustain: number, untilEnd = true): boolean {
  let run = 1;
  for (let j = start + 1; j < values.length && run < sustain; j += 1) {
    const v = values[j];
    if (v === null || v === undefined) continue;
    if (!certainlyAbove(v, threshold)) return false;
    run += 1;
  }
  return run >= sustain || untilEnd;
}

export function leadTimes(input: LeadTimeInput): { rows: LeadTimeRow[]; sloBreachSeconds: number | null } {
  const { readings, onsetSeconds, onsetEndSeconds, thresholds } = input;
  const upToEnd = (values: (Reading | null)[]) => values.slice(0, Math.max(onsetSeconds, onsetEndSeconds));
  const sloBreachSeconds = firstCrossing(upToEnd(readings.probeP99), onsetSeconds, thresholds.probeP99).at;
  const rows = SIGNAL_IDS.map((signal): LeadTimeRow => {
    const values = readings[signal];
    const { status, at } = firstCrossing(upToEnd(values), onsetSeconds, thresholds[signal]);
    const value = at === null ? toReportValue(null) : toReportValue(values[at] ?? null);
    return {
      signal,
      label: SIGNALS[signal].label,
      threshold: thresholds[signal],
      status,
      firstCrossingSeconds: at,
      afterOnsetSeconds: at === null ? null : at - onsetSeconds,
      relativeToSloBreachSeconds: at === null || sloBreachSeconds === null ? null : at - sloBreachSeconds,
      valueAtCrossing: value.value,
      ...(value.lower === undefined ? {} : { valueAtCrossingLower: value.lower }),
      hasData: status !== 'no-data',
      dataBeforeOnset: values.slice(0, Math.max(0, onsetSeconds)).some((v) => v !== null),
    };
  });
  return { rows, sloBreachSeconds };
}
