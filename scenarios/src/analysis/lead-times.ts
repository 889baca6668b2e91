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

export function firstCrossing(values: (number | null)[], from: number, threshold: number): number | null {
  for (let i = Math.max(0, from); i < values.length; i += 1) {
    const v = values[i];
    if (v !== null && v !== undefined && v > threshold) return i;
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
