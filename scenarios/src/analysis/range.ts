// A signal's value as what was actually measured: an exact number, or, for anything read
// from a histogram, the bounds of the bucket that holds it. Why not interpolate inside the
// bucket like histogram_quantile: the loop-delay buckets are powers of two, so a 600 ms stall
// reads as ~1.02 s, a p99 can exceed the max of the same phase, and "p99 above 0.5 s" would
// pass for ~260 ms stalls. Checks are conservative both ways: "above" trusts the lower bound,
// "below" the upper one. A timed-out request is censored the same way: at least the timeout.
import type { Bucket } from '@runtime-lab/scrape';

export interface Reading {
  /** Lower bound (a bucket holds values above it); equal to `hi` for an exact value. */
  lo: number;
  /** Upper bound, possibly Infinity (the +Inf bucket, a timeout). */
  hi: number;
}

export const exact = (value: number): Reading => ({ lo: value, hi: value });

export const isExact = (r: Reading): boolean => r.lo === r.hi;

/** Total observations of cumulative buckets. */
const totalOf = (buckets: Bucket[]): number => buckets[buckets.length - 1]?.count ?? 0;

/**
 * The bucket holding the q-quantile (nearest rank: the ceil(q·n)-th smallest observation), as
 * [its lower bound, its upper bound]; null when the buckets hold no observation.
 */
export function bucketQuantile(q: number, buckets: Bucket[] | undefined): Reading | null {
  if (!buckets || totalOf(buckets) <= 0) return null;
  const rank = Math.max(1, Math.ceil(q * totalOf(buckets) - 1e-9));
  let lower = 0;
  for (const b of buckets) {
    if (b.count >= rank) return { lo: lower, hi: b.le };
    lower = b.le;
  }
  return { lo: lower, hi: Number.POSITIVE_INFINITY };
}

/** The bucket holding the largest observation. */
export const bucketMax = (buckets: Bucket[] | undefined): Reading | null => bucketQuantile(1, buckets);

/** Certainly above `threshold`: an exact value strictly, a bucket when all it can hold is (lower bound at or past it). */
export function certainlyAbove(r: Reading, threshold: number): boolean {
  return isExact(r) ? r.lo > threshold : r.lo >= threshold;
}

/** Certainly below `threshold`: an exact value strictly, a bucket when its upper bound is at or under it. */
export function certainlyBelow(r: Reading, threshold: number): boolean {
  return isExact(r) ? r.hi < threshold : r.hi <= threshold;
}

function combine(readings: (Reading | null | undefined)[], pick: (values: number[]) => number): Reading | null {
  const known = readings.filter((r): r is Reading => r !== null && r !== undefined);
  if (known.length === 0) return null;
  return { lo: pick(known.map((r) => r.lo)), hi: pick(known.map((r) => r.hi)) };
}

export const maxOf = (readings: (Reading | null | undefined)[]): Reading | null => combine(readings, (v) => Math.max(...v));
export const minOf = (readings: (Reading | null | undefined)[]): Reading | null => combine(readings, (v) => Math.min(...v));
export const meanOf = (readings: (Reading | null | undefined)[]): Reading | null =>
  combine(readings, (v) => v.reduce((a, b) => a + b, 0) / v.length);

/** The q-quantile of per-second readings, bound by bound. */
export function quantileOf(readings: (Reading | null | undefined)[], q: number): Reading | null {
  return combine(readings, (v) => {
    const sorted = [...v].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
  });
}

/** Report form: the upper bound as the value (null when unbounded), the lower bound only when they differ. */
export function toReportValue(r: Reading | null): { value: number | null; lower?: number } {
  if (r === null) return { value: null };
  const value = Number.isFinite(r.hi) ? r.hi : null;
  return isExact(r) ? { value } : { value, lower: r.lo };
}

/** Back from the report form. */
export function fromReportValue(value: number | null | undefined, lower: number | null | undefined): Reading | null {
  if (lower === null || lower === undefined) return value === null || value === undefined ? null : exact(value);
  return { lo: lower, hi: value ?? Number.POSITIVE_INFINITY };
}
