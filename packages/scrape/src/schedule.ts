// Scraping one endpoint on a fixed schedule: scrape k is due at start + k x interval, as
// Prometheus schedules its scrapes. A failed scrape, or one skipped because the previous one was
// still running, is kept as an attempt with its reason: a gap is data, never silently dropped.
// The runner's sampler and the auditor's --metrics source both scrape through this class.
import { type Families, scrapeMetrics } from './exposition.js';

export const SKIPPED_SCRAPE = 'skipped: the previous scrape was still running';

export interface ScrapeAttempt {
  /** k, for the scrape due at start + k x interval. */
  index: number;
  /** Epoch ms when it was due. */
  dueMs: number;
  /** Epoch ms when the request went out (for a skipped scrape: when it was skipped). */
  startedAtMs: number;
  /** Epoch ms when the response was complete, or when the scrape failed or was skipped. */
  atMs: number;
  /** The parsed exposition; absent when `error` says why. */
  families?: Families;
  error?: string;
}

export interface ScrapeScheduleOptions {
  url: string;
  intervalMs: number;
  /** Per scrape; keep it below intervalMs, or the next scrape is skipped. */
  timeoutMs: number;
  /** Stop scheduling after this many scrapes (indexes 0 .. count-1). Default: until stop(). */
  count?: number;
  /**
   * A scrape due while the previous one still runs: 'skip' records it as a gap (SKIPPED_SCRAPE),
   * so every interval of the schedule is accounted for (the runner); 'wait' takes it as soon as the
   * previous one ends, late but on the same grid of due times (the auditor). Default 'skip'.
   */
  whenBusy?: 'skip' | 'wait';
  /** Every attempt, in the order they complete. An exception thrown here goes to onError. */
  onAttempt?: (attempt: ScrapeAttempt) => void;
  onError?: (error: unknown) => void;
}

export class ScrapeSchedule {
  private timer: NodeJS.Timeout | undefined;
  private startMs = 0;
  private nextIndex = 0;
  private lastIndex = -1;
  private recorded = 0;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private resolveFinished: () => void = () => {};
  /** Resolves once `count` attempts are recorded (never without a count, unless stop() is called). */
  readonly finished: Promise<void>;

  constructor(protected readonly scheduleOptions: ScrapeScheduleOptions) {
    this.finished = new Promise((resolve) => {
      this.resolveFinished = resolve;
    });
  }

  /** Takes scrape k at `startMs + k * interval` (epoch ms). */
  start(startMs: number = Date.now()): void {
    this.startMs = startMs;
    this.schedule();
  }

  private schedule(): void {
    const { count, intervalMs } = this.scheduleOptions;
    if (this.stopped || (count !== undefined && this.nextIndex >= count)) return;
    const due = this.startMs + this.nextIndex * intervalMs;
    this.timer = setTimeout(() => this.fire(), Math.max(0, due - Date.now()));
  }

  private fire(): void {
    const index = this.nextIndex;
    this.nextIndex += 1;
    // A scrape still running when the next is due is not doubled up: that interval is a gap,
    // recorded as such so the report counts it, or (whenBusy: 'wait') a late scrape.
    if (!this.inFlight) this.inFlight = this.track(this.scrape(index));
    else if (this.scheduleOptions.whenBusy === 'wait') this.inFlight = this.track(this.inFlight.then(() => this.scrape(index)));
    else {
      const now = Date.now();
      this.record({ index, dueMs: this.dueMs(index), startedAtMs: now, atMs: now, error: SKIPPED_SCRAPE });
    }
    this.schedule();
  }

  private track(scrape: Promise<void>): Promise<void> {
    const tracked: Promise<void> = scrape.finally(() => {
      if (this.inFlight === tracked) this.inFlight = undefined;
    });
    return tracked;
  }

  private dueMs(index: number): number {
    return this.startMs + index * this.scheduleOptions.intervalMs;
  }

  /** One scrape for `index`, recorded when it completes or fails. */
  async scrape(index: number): Promise<void> {
    const { url, timeoutMs } = this.scheduleOptions;
    const startedAtMs = Date.now();
    let attempt: ScrapeAttempt;
    try {
      const result = await scrapeMetrics(url, timeoutMs);
      attempt = { index, dueMs: this.dueMs(index), startedAtMs, atMs: result.fetchedAtMs, families: result.families };
    } catch (error) {
      attempt = {
        index,
        dueMs: this.dueMs(index),
        startedAtMs,
        atMs: Date.now(),
        error: error instanceof Error ? error.message : String(error),
      };
    }
    this.record(attempt);
  }

  private record(attempt: ScrapeAttempt): void {
    this.lastIndex = Math.max(this.lastIndex, attempt.index);
    this.recorded += 1;
    try {
      this.handle(attempt);
    } catch (error) {
      this.scheduleOptions.onError?.(error);
    }
    const { count } = this.scheduleOptions;
    if (count !== undefined && this.recorded >= count) this.resolveFinished();
  }

  /** What to do with each attempt: by default, hand it to onAttempt. */
  protected handle(attempt: ScrapeAttempt): void {
    this.scheduleOptions.onAttempt?.(attempt);
  }

  /**
   * Stops the schedule and waits for a scrape in flight. With `finalScrape`, takes one more for
   * the index now due, so the last interval is closed.
   */
  async stop(finalScrape = true): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
    if (finalScrape) {
      // Skipped scrapes are recorded before the slow one they were skipped for: take the highest index.
      const finalIndex = Math.max(this.lastIndex + 1, Math.round((Date.now() - this.startMs) / this.scheduleOptions.intervalMs));
      await this.scrape(finalIndex);
    }
    this.resolveFinished();
  }
}
