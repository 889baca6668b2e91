// Which signal moved first: for each signal, and for each named load stream's P99, the second in
// which it rose above its threshold, relative to onset and to each client population's SLO breach
// (warm and cold probe).
// Resolution is the sampling interval (1 s).
//
// Onset is the phase that first switches a fault on (or the phase marked `onset`); crossings
// are searched in that phase. A scenario without a fault has no onset: the whole run is
// searched, from its first second.
//
// A rise counts only from below: a signal already above its threshold when the fault starts
// (ELU 0.8-0.9 under the baseline's load, threshold 0.8) did not "cross at onset", and saying
// so would credit it with a lead it never had. Such a row says "already above before onset",
// unless the signal later drops below and rises again, which is then its crossing.
//
// Every row says what the signal did: a row reads "never" only when no second of the run and
// no phase summary was above the threshold. A rise that does not hold is "intermittent", one
// outside the onset phase says where it was.
import type { LeadTimeRow } from '../report/schema.js';
import { SIGNALS, SIGNAL_IDS, type SignalId } from '../signals.js';
import { type Reading, certainlyAbove, certainlyBelow, toReportValue } from './range.js';
import type { ReadingSeries } from './series.js';

export interface LeadTimeInput {
  readings: ReadingSeries;
  /** Start of the onset phase (run seconds); null when the scenario has no onset (no fault). */
  onsetSeconds: number | null;
  /**
   * End of the onset phase: crossings are searched in it. A rise in a later phase (a recovery
   * that dips below and climbs back) is not the fault's doing; it is reported as "later".
   */
  onsetEndSeconds: number;
  thresholds: Record<SignalId, number>;
  /** Name of the phase second `bin` belongs to. */
  phaseAt: (bin: number) => string;
  /** Phases whose summary of `signal` is certainly above `threshold` (a phase summary, or an expectation's figure). */
  abovePhases?: (signal: SignalId, threshold: number) => string[];
  /** Named load streams: each gets a row of its own (streamRows). */
  streams?: StreamSeries[];
}

/**
 * A crossing is sustained when the signal stays above its threshold for SUSTAIN_SECONDS
 * readings in a row (or until the run ends): on a shared machine one noisy second is not a
 * turn. The crossing's time is the first of those seconds. Seconds with no reading (a stale
 * watchdog snapshot, a failed scrape) neither confirm nor break the run: they are skipped.
 */
export const SUSTAIN_SECONDS = 2;

export type CrossingStatus = 'crossed' | 'intermittent' | 'already-above' | 'never' | 'no-data';

export interface Crossing {
  status: CrossingStatus;
  /** First second, from `from` on, the signal rose above the threshold from below (held or not). */
  first: number | null;
  /** First such rise that held SUSTAIN readings (status 'crossed'). */
  sustained: number | null;
}

/**
 * The first rise of `values` above `threshold` at or after `from`, counting only a rise from a
 * reading certainly below it ("armed"; `armedAtStart`: from the first second, for a run with no
 * onset). Before `from`, a rise that lasts (SUSTAIN readings, all before `from`) disarms: the
 * signal is above when the fault starts; a lone noisy second just before onset does not, any
 * more than it would count as a crossing. From `from` on, a rise that does not last leaves it
 * armed (and is the "first crossing" of an intermittent signal). A reading a bucket cannot
 * place (it straddles the threshold) changes nothing.
 */
export function firstCrossing(
  values: (Reading | null)[],
  from: number,
  threshold: number,
  sustain = SUSTAIN_SECONDS,
  armedAtStart = false,
): Crossing {
  let armed = armedAtStart;
  let seenAny = false;
  let first: number | null = null;
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    seenAny = true;
    if (certainlyBelow(v, threshold)) armed = true;
    else if (certainlyAbove(v, threshold)) {
      if (i < from) {
        if (sustained(values.slice(0, from), i, threshold, sustain, false)) armed = false;
      } else if (armed) {
        first ??= i;
        if (sustained(values, i, threshold, sustain)) return { status: 'crossed', first, sustained: i };
      }
    }
  }
  if (first !== null) return { status: 'intermittent', first, sustained: null };
  if (!seenAny) return { status: 'no-data', first: null, sustained: null };
  // Not armed at the end: never below from onset on, and above at its last clear reading before.
  const everAbove = values.some((v) => v !== null && v !== undefined && certainlyAbove(v, threshold));
  return { status: !armed && everAbove ? 'already-above' : 'never', first: null, sustained: null };
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

/** First second in [from, to) certainly above `threshold`, or null. */
function firstAbove(values: (Reading | null)[], from: number, to: number, threshold: number): number | null {
  for (let i = Math.max(0, from); i < Math.min(to, values.length); i += 1) {
    const v = values[i];
    if (v !== null && v !== undefined && certainlyAbove(v, threshold)) return i;
  }
  return null;
}

export interface LeadTimes {
  rows: LeadTimeRow[];
  /** One row per named load stream (input.streams), in the same shape and on the same clock. */
  streamRows: LeadTimeRow[];
  /** Warm probe P99's first sustained crossing of its SLO (run seconds), null if none. */
  sloBreachSeconds: number | null;
  /** The cold probe's, likewise. */
  coldSloBreachSeconds: number | null;
}

/** One named open-loop stream's per-second P99 and its own threshold (its sloMs, else rampP99's). */
export interface StreamSeries {
  stream: string;
  /** Seconds; null where the stream sent nothing. */
  values: (Reading | null)[];
  threshold: number;
  /** Phases whose P99 of this stream is certainly above the threshold. */
  abovePhases: string[];
}

/** What every row is measured against: the search window and both SLO breaches. */
interface RowClock {
  from: number;
  end: number;
  noOnset: boolean;
  phaseAt: (bin: number) => string;
  sloBreachSeconds: number | null;
  coldSloBreachSeconds: number | null;
}

type RowFigures = Omit<LeadTimeRow, 'signal' | 'label' | 'stream'>;

/** A row's figures: its crossing in the search window, or where it was above when it did not cross there. */
function rowFigures(values: (Reading | null)[], threshold: number, abovePhases: string[], clock: RowClock): RowFigures {
  const { from, end } = clock;
  const crossing = firstCrossing(values.slice(0, end), from, threshold, SUSTAIN_SECONDS, clock.noOnset);
  let status: LeadTimeRow['status'] = crossing.status;
  let first = crossing.first;
  if (status === 'never') {
    // Not in the onset phase: say where it was above, if anywhere.
    const later = firstAbove(values, end, values.length, threshold);
    const before = firstAbove(values, 0, from, threshold);
    if (later !== null) [status, first] = ['later', later];
    else if (before !== null) [status, first] = ['before-onset', before];
    else if (abovePhases.length > 0) status = 'summary-only';
  }
  const lead = crossing.sustained ?? first;
  const value = lead === null ? toReportValue(null) : toReportValue(values[lead] ?? null);
  const sustainedAt = crossing.sustained;
  const { sloBreachSeconds, coldSloBreachSeconds } = clock;
  return {
    threshold,
    status,
    firstCrossingSeconds: first,
    firstCrossingPhase: first === null ? null : clock.phaseAt(first),
    firstSustainedCrossingSeconds: sustainedAt,
    afterOnsetSeconds: first === null ? null : first - from,
    sustainedAfterOnsetSeconds: sustainedAt === null ? null : sustainedAt - from,
    relativeToSloBreachSeconds: sustainedAt === null || sloBreachSeconds === null ? null : sustainedAt - sloBreachSeconds,
    relativeToColdSloBreachSeconds: sustainedAt === null || coldSloBreachSeconds === null ? null : sustainedAt - coldSloBreachSeconds,
    valueAtCrossing: value.value,
    ...(value.lower === undefined ? {} : { valueAtCrossingLower: value.lower }),
    abovePhases,
    hasData: status !== 'no-data',
    dataBeforeOnset: values.slice(0, Math.max(0, from)).some((v) => v !== null),
  };
}

/** The label of a stream's row in every report. */
export function streamRowLabel(stream: string): string {
  return `stream ${stream} P99`;
}

export function leadTimes(input: LeadTimeInput): LeadTimes {
  const { readings, thresholds } = input;
  const from = input.onsetSeconds ?? 0;
  const noOnset = input.onsetSeconds === null;
  const end = Math.max(from, input.onsetEndSeconds);
  const sustainedOf = (id: SignalId): number | null =>
    firstCrossing(readings[id].slice(0, end), from, thresholds[id], SUSTAIN_SECONDS, noOnset).sustained;
  const clock: RowClock = {
    from,
    end,
    noOnset,
    phaseAt: input.phaseAt,
    sloBreachSeconds: sustainedOf('probeP99'),
    coldSloBreachSeconds: sustainedOf('coldProbeP99'),
  };
  const rows = SIGNAL_IDS.map(
    (signal): LeadTimeRow => ({
      signal,
      label: SIGNALS[signal].label,
      ...rowFigures(readings[signal], thresholds[signal], input.abovePhases?.(signal, thresholds[signal]) ?? [], clock),
    }),
  );
  const streamRows = (input.streams ?? []).map(
    (s): LeadTimeRow => ({
      signal: 'rampP99',
      stream: s.stream,
      label: streamRowLabel(s.stream),
      ...rowFigures(s.values, s.threshold, s.abovePhases, clock),
    }),
  );
  return { rows, streamRows, sloBreachSeconds: clock.sloBreachSeconds, coldSloBreachSeconds: clock.coldSloBreachSeconds };
}
