// Which signal moved first: for each signal, the first second from fault onset on in which
// it was above its threshold, relative to onset and to the probe's SLO breach. Resolution is
// the sampling interval (1 s); a signal that never crossed says so rather than showing 0.
import type { LeadTimeRow, Series } from '../report/schema.js';
import { SIGNALS, SIGNAL_IDS, type SignalId } from '../signals.js';

export interface LeadTimeInput {
  series: Series;
  onsetSeconds: number;
  thresholds: Record<SignalId, number>;
}

/**
 * A crossing counts when the signal stays above its threshold for SUSTAIN_SECONDS in a row
 * (or until the run ends): on a shared machine one noisy second is not a turn. The crossing's
 * time is the first of those seconds.
 */
export const SUSTAIN_SECONDS = 2;

const above = (v: number | null | undefined, threshold: number): boolean => v !== null && v !== undefined && v > threshold;

export function firstCrossing(values: (number | null)[], from: number, threshold: number, sustain = SUSTAIN_SECONDS): number | null {
  for (let i = Math.max(0, from); i < values.length; i += 1) {
    if (!above(values[i], threshold)) continue;
    let run = 1;
    while (run < sustain && i + run < values.length && above(values[i + run], threshold)) run += 1;
    if (run >= sustain || i + run >= values.length) return i;
  }
  return null;
}

export function leadTimes(input: LeadTimeInput): { rows: LeadTimeRow[]; sloBreachSeconds: number | null } {
  const { series, onsetSeconds, thresholds } = input;
  const sloBreachSeconds = firstCrossing(series.probeP99, onsetSeconds, thresholds.probeP99);
  const rows = SIGNAL_IDS.map((signal): LeadTimeRow => {
    const values = series[signal] as (number | null)[];
    const crossing = firstCrossing(values, onsetSeconds, thresholds[signal]);
    return {
      signal,
      label: SIGNALS[signal].label,
      threshold: thresholds[signal],
      firstCrossingSeconds: crossing,
      afterOnsetSeconds: crossing === null ? null : crossing - onsetSeconds,
      relativeToSloBreachSeconds: crossing === null || sloBreachSeconds === null ? null : crossing - sloBreachSeconds,
      valueAtCrossing: crossing === null ? null : (values[crossing] ?? null),
      hasData: values.some((v) => v !== null),
    };
  });
  return { rows, sloBreachSeconds };
}
