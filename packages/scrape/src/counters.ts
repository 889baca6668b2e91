// Reading counters from a watchdog's scrapes. The watchdog serves a registry snapshot refreshed
// every ~0.5 s from the main thread, and during a stall that snapshot is older still; its counters
// describe the moment it was taken, so a rate between two scrapes must use snapshot times, not
// scrape times (otherwise a stall reads as an ELU of 120%).

/**
 * When the registry snapshot behind a scrape was taken, in the scrape's clock (ms): the scrape
 * time minus `runtime_watchdog_snapshot_age_seconds`. An age that is absent, negative or not
 * finite (a plain /metrics route, not a watchdog) leaves the scrape time.
 */
export function snapshotTakenAtMs(scrapedAtMs: number, snapshotAgeSeconds: number | undefined): number {
  return snapshotAgeSeconds !== undefined && Number.isFinite(snapshotAgeSeconds) && snapshotAgeSeconds > 0
    ? scrapedAtMs - snapshotAgeSeconds * 1000
    : scrapedAtMs;
}

/**
 * A counter's increase per second between two readings `spanMs` apart, as rate() computes it
 * without extrapolation. Undefined when a reading is missing, the counter went down (the process
 * restarted) or the span is not positive. Over `runtime_eventloop_active_seconds_total` this is
 * the event-loop utilization (ELU) of that span: active seconds per elapsed second.
 */
export function increasePerSecond(earlier: number | undefined, later: number | undefined, spanMs: number): number | undefined {
  if (earlier === undefined || later === undefined || later < earlier || spanMs <= 0) return undefined;
  return (later - earlier) / (spanMs / 1000);
}
