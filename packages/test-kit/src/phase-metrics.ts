// Reading the services' watchdog endpoints during a measurement: histogram deltas between two
// snapshots (what happened in this phase only) and gauge maxima sampled while it ran.
import { bucketsDelta, bucketsOf, type Families, histogramQuantile, scrapeSnapshotAfter, sumOf } from '@runtime-lab/scrape';
import { METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS } from '@runtime-lab/metric-names';

/**
 * The registry as the watchdog serves it. The watchdog serves a snapshot refreshed every ~0.5 s
 * (runtime_watchdog_snapshot_age_seconds says how old), so a phase boundary needs a snapshot
 * taken after it: with `takenAfterMs` (a performance.now() time) this waits for one, or the
 * "before" of a phase would still miss the tail of the previous phase.
 */
export async function snapshot(metricsUrl: string, takenAfterMs?: number): Promise<Families> {
  const scrape = await scrapeSnapshotAfter(metricsUrl, takenAfterMs ?? Number.NEGATIVE_INFINITY, {
    ageMetric: METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS,
  });
  return scrape.families;
}

/** A snapshot that includes everything up to now. */
export function freshSnapshot(metricsUrl: string): Promise<Families> {
  return snapshot(metricsUrl, performance.now());
}

/** q-quantile (seconds) of what a histogram recorded between two snapshots. */
export function quantileBetween(before: Families, after: Families, histogram: string, q: number, match?: Record<string, string>): number {
  return histogramQuantile(q, bucketsDelta(bucketsOf(after, histogram, match), bucketsOf(before, histogram, match)));
}

/**
 * Upper bound of the largest observation a histogram recorded between two snapshots: the
 * smallest bucket bound that holds them all (seconds; 0 when nothing was recorded). Unlike a
 * "max over the last N s" gauge, it cannot carry a stall over from the previous phase.
 */
export function maxBoundBetween(before: Families, after: Families, histogram: string, match?: Record<string, string>): number {
  const delta = bucketsDelta(bucketsOf(after, histogram, match), bucketsOf(before, histogram, match));
  const total = delta[delta.length - 1]?.count ?? 0;
  if (total === 0) return 0;
  return delta.find((b) => b.count >= total)?.le ?? Number.POSITIVE_INFINITY;
}

/** Mean of what a histogram recorded between two snapshots (its unit; NaN when nothing). */
export function meanBetween(before: Families, after: Families, histogram: string, match?: Record<string, string>): number {
  const count = increase(before, after, `${histogram}_count`, match);
  return count > 0 ? increase(before, after, `${histogram}_sum`, match) / count : Number.NaN;
}

/** Increase of a counter (or histogram _sum/_count) between two snapshots. */
export function increase(before: Families, after: Families, sample: string, match?: Record<string, string>): number {
  return (sumOf(after, sample, match) ?? 0) - (sumOf(before, sample, match) ?? 0);
}

export interface GaugeSampler {
  /** Stops sampling; resolves with the maximum seen per key. */
  stop(): Promise<Record<string, number>>;
}

/** Scrapes every intervalMs and keeps the max of each named gauge (sum over matching series). */
export function sampleGauges(
  metricsUrl: string,
  gauges: Record<string, { sample: string; match?: Record<string, string> }>,
  intervalMs = 200,
): GaugeSampler {
  const max: Record<string, number> = Object.fromEntries(Object.keys(gauges).map((k) => [k, 0]));
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const families = await snapshot(metricsUrl);
        for (const [key, { sample, match }] of Object.entries(gauges)) {
          const value = sumOf(families, sample, match);
          if (value !== undefined && value > (max[key] ?? 0)) max[key] = value;
        }
      } catch {
        // A missed sample is a gap, not a failure of the measurement.
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (performance.now() - started))));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return max;
    },
  };
}
