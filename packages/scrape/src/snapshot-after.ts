// A scrape that describes a moment no earlier than a given one. A watchdog serves a registry
// snapshot marked with its age, so a scrape can describe a moment up to ~0.5 s earlier (longer
// during a stall); the "before" of a measured window must not miss what happened just before it.
import { snapshotTakenAtMs } from './counters.js';
import { type ScrapeResult, scrapeMetrics, sumOf } from './exposition.js';

export interface SnapshotAfterOptions {
  /** The gauge that gives the snapshot's age in seconds (the watchdog's snapshot-age metric). */
  ageMetric: string;
  /** Per scrape (ms). Default 5000. */
  timeoutMs?: number;
  /** How long to keep retrying (ms) before the last scrape is returned as it is. Default 10000. */
  waitMs?: number;
}

/**
 * Scrapes `url` until its registry snapshot was taken at or after `takenAfterMs`, a
 * `performance.now()` time, retrying every 100 ms for up to `waitMs`; then returns the last
 * scrape as it is. Without an age metric (a plain /metrics route) the first scrape qualifies.
 */
export async function scrapeSnapshotAfter(url: string, takenAfterMs: number, options: SnapshotAfterOptions): Promise<ScrapeResult> {
  const deadline = performance.now() + (options.waitMs ?? 10_000);
  for (;;) {
    const scrape = await scrapeMetrics(url, options.timeoutMs ?? 5000);
    const takenAt = snapshotTakenAtMs(performance.now(), sumOf(scrape.families, options.ageMetric));
    if (takenAt >= takenAfterMs || performance.now() > deadline) return scrape;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
