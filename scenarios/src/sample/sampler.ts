// Scrapes the service's watchdog port once a second on a fixed schedule. The watchdog
// answers from its own thread, so sampling keeps working while the service's loop is
// stalled; a failed or skipped scrape is kept as a gap with its reason, never silently dropped.
import { type Families, type ScrapeAttempt, ScrapeSchedule } from '@runtime-lab/scrape';
import type { Snapshot } from './snapshot.js';
import { extractSnapshot, failedSnapshot } from './snapshot.js';

export { SKIPPED_SCRAPE } from '@runtime-lab/scrape';

export interface SamplerOptions {
  metricsUrl: string;
  probeRoute: string;
  intervalMs?: number;
  onSnapshot?: (snapshot: Snapshot) => void;
  /** An exception thrown by onSnapshot: it must end the run (and restore the service), not the process. */
  onError?: (error: unknown) => void;
}

/** The scrape schedule of @runtime-lab/scrape, keeping each attempt as a run snapshot. */
export class Sampler extends ScrapeSchedule {
  readonly snapshots: Snapshot[] = [];
  /**
   * Every answered scrape as read (epoch ms, all families): the alert timeline evaluates the
   * user's rules over them after the run, and those rules may read any metric. Costs the parsed
   * exposition per second (tens of kB for the lab api).
   */
  readonly scrapes: { atMs: number; families: Families; up: boolean }[] = [];

  constructor(private readonly options: SamplerOptions) {
    const intervalMs = options.intervalMs ?? 1000;
    super({
      url: options.metricsUrl,
      intervalMs,
      timeoutMs: Math.min(900, intervalMs - 50),
      ...(options.onError ? { onError: options.onError } : {}),
    });
  }

  protected override handle(attempt: ScrapeAttempt): void {
    const snapshot = attempt.families
      ? extractSnapshot(attempt.index, attempt.atMs, attempt.families, this.options.probeRoute)
      : failedSnapshot(attempt.index, attempt.atMs, attempt.error ?? 'no answer');
    this.snapshots.push(snapshot);
    this.scrapes.push({ atMs: attempt.atMs, families: attempt.families ?? new Map(), up: attempt.families !== undefined });
    this.options.onSnapshot?.(snapshot);
  }
}
