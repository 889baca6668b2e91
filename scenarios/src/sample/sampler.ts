// Scrapes the service's watchdog port once a second on a fixed schedule. The watchdog
// answers from its own thread, so sampling keeps working while the service's loop is
// stalled; a failed or skipped scrape is kept as a gap with its reason, never silently dropped.
import { scrapeMetrics } from '@runtime-lab/scrape';
import type { Snapshot } from './snapshot.js';
import { extractSnapshot, failedSnapshot } from './snapshot.js';

export interface SamplerOptions {
  metricsUrl: string;
  probeRoute: string;
  intervalMs?: number;
  onSnapshot?: (snapshot: Snapshot) => void;
  /** An exception thrown by onSnapshot: it must end the run (and restore the service), not the process. */
  onError?: (error: unknown) => void;
}

export const SKIPPED_SCRAPE = 'skipped: the previous scrape was still running';

export class Sampler {
  readonly snapshots: Snapshot[] = [];
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private startMs = 0;
  private index = 0;
  private inFlight: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: SamplerOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
  }

  /** Takes scrape k at `startMs + k * interval`. */
  start(startMs: number): void {
    this.startMs = startMs;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const due = this.startMs + this.index * this.intervalMs;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - Date.now()));
  }

  private fire(): void {
    const index = this.index;
    this.index += 1;
    // A scrape still running when the next is due is not doubled up: that interval is a gap,
    // recorded as such so the report counts it.
    if (!this.inFlight) this.inFlight = this.scrape(index).finally(() => (this.inFlight = undefined));
    else this.keep(failedSnapshot(index, Date.now(), SKIPPED_SCRAPE));
    this.schedule();
  }

  async scrape(index: number): Promise<void> {
    let snapshot: Snapshot;
    try {
      const result = await scrapeMetrics(this.options.metricsUrl, Math.min(900, this.intervalMs - 50));
      snapshot = extractSnapshot(index, result.fetchedAtMs, result.families, this.options.probeRoute);
    } catch (error) {
      snapshot = failedSnapshot(index, Date.now(), error instanceof Error ? error.message : String(error));
    }
    this.keep(snapshot);
  }

  private keep(snapshot: Snapshot): void {
    this.snapshots.push(snapshot);
    try {
      this.options.onSnapshot?.(snapshot);
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  /** Stops the schedule and takes one final scrape for the index now due, so the last interval is closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
    // Skipped scrapes are kept before the slow one they were skipped for: take the highest index.
    const last = this.snapshots.reduce((max, s) => Math.max(max, s.index), -1);
    const finalIndex = Math.max(last + 1, Math.round((Date.now() - this.startMs) / this.intervalMs));
    await this.scrape(finalIndex);
  }
}
