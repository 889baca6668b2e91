// Scrapes the service's watchdog port once a second on a fixed schedule. The watchdog
// answers from its own thread, so sampling keeps working while the service's loop is
// stalled; a failed scrape is kept as a gap with its reason, never silently dropped.
import { scrapeMetrics } from '@runtime-lab/telemetry/exposition';
import type { Snapshot } from './snapshot.js';
import { extractSnapshot, failedSnapshot } from './snapshot.js';

export interface SamplerOptions {
  metricsUrl: string;
  probeRoute: string;
  intervalMs?: number;
  onSnapshot?: (snapshot: Snapshot) => void;
}

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
    // A scrape still running when the next is due is not doubled up: that interval is a gap.
    if (!this.inFlight) this.inFlight = this.scrape(index).finally(() => (this.inFlight = undefined));
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
    this.snapshots.push(snapshot);
    this.options.onSnapshot?.(snapshot);
  }

  /** Stops the schedule and takes one final scrape for the index now due, so the last interval is closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
    const last = this.snapshots.at(-1)?.index ?? -1;
    const finalIndex = Math.max(last + 1, Math.round((Date.now() - this.startMs) / this.intervalMs));
    await this.scrape(finalIndex);
  }
}
