// Per-second bins of everything a run observes, on one time axis starting at the run's
// start. Client records are binned by when they were (meant to be) sent, server signals by
// the scrape interval they fall in. Phase summaries and the report's series both read from here.
import type { Bucket } from '@runtime-lab/telemetry/exposition';
import { bucketsDelta, histogramQuantile } from '@runtime-lab/telemetry/exposition';
import type { Histogram } from 'hdr-histogram-js';
import { build } from 'hdr-histogram-js';
import type { Snapshot } from '../sample/snapshot.js';

export type ClientKind = 'probe' | 'ramp' | 'pressure';
export const CLIENT_KINDS: readonly ClientKind[] = ['probe', 'ramp', 'pressure'];

export interface ClientBin {
  histogram: Histogram;
  ok: number;
  errors: number;
  timeouts: number;
}

/** One second of server signals: bucket deltas over the second, gauges as read at its end. */
export type ServerBin = Partial<Pick<Snapshot, 'serverBuckets' | 'loopDelayBuckets' | 'canaryBuckets'>> &
  Pick<Snapshot, 'loopDelayMax' | 'loopStall' | 'elu' | 'poolQueue' | 'canaryPending' | 'backlog'>;

/** Latencies are kept in microseconds: HDR histograms record integers. */
export function newLatencyHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3, bitBucketSize: 'packed' });
}

export class Timeline {
  readonly client: Record<ClientKind, Map<number, ClientBin>> = { probe: new Map(), ramp: new Map(), pressure: new Map() };
  private snapshots: Snapshot[] = [];

  constructor(
    readonly startMs: number,
    readonly seconds: number,
  ) {}

  binOf(epochMs: number): number {
    return Math.floor((epochMs - this.startMs) / 1000);
  }

  addClient(kind: ClientKind, sentMs: number, latencyMs: number, outcome: 'ok' | 'error' | 'timeout'): void {
    const bin = this.binOf(sentMs);
    if (bin < 0 || bin >= this.seconds) return;
    const bins = this.client[kind];
    let entry = bins.get(bin);
    if (!entry) {
      entry = { histogram: newLatencyHistogram(), ok: 0, errors: 0, timeouts: 0 };
      bins.set(bin, entry);
    }
    entry.histogram.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
    if (outcome === 'ok') entry.ok += 1;
    else if (outcome === 'timeout') entry.timeouts += 1;
    else entry.errors += 1;
  }

  setSnapshots(snapshots: Snapshot[]): void {
    this.snapshots = [...snapshots].sort((a, b) => a.index - b.index);
  }

  /** Merged client histogram and counts over bins [from, to). */
  clientWindow(kind: ClientKind, from: number, to: number): ClientBin | undefined {
    let merged: ClientBin | undefined;
    for (let bin = from; bin < to; bin += 1) {
      const entry = this.client[kind].get(bin);
      if (!entry) continue;
      if (!merged) merged = { histogram: newLatencyHistogram(), ok: 0, errors: 0, timeouts: 0 };
      merged.histogram.add(entry.histogram);
      merged.ok += entry.ok;
      merged.errors += entry.errors;
      merged.timeouts += entry.timeouts;
    }
    return merged;
  }

  /** Server signals of second `bin`: histogram deltas between scrapes `bin` and `bin + 1`, gauges read at `bin + 1`. */
  serverBin(bin: number): ServerBin | undefined {
    const end = this.snapshots.find((s) => s.index === bin + 1);
    if (!end || end.error) return undefined;
    const begin = this.snapshots.find((s) => s.index === bin);
    const out: ServerBin = {
      loopDelayMax: end.loopDelayMax,
      loopStall: end.loopStall,
      elu: end.elu,
      poolQueue: end.poolQueue,
      canaryPending: end.canaryPending,
      backlog: end.backlog,
    };
    if (begin && !begin.error) {
      out.serverBuckets = bucketsDelta(end.serverBuckets, begin.serverBuckets);
      out.loopDelayBuckets = bucketsDelta(end.loopDelayBuckets, begin.loopDelayBuckets);
      out.canaryBuckets = bucketsDelta(end.canaryBuckets, begin.canaryBuckets);
    }
    return out;
  }

  /**
   * Delta of a server histogram over bins [from, to), from the nearest successful scrapes
   * around the window (a failed scrape widens the window rather than losing observations).
   */
  serverWindowQuantile(key: 'serverBuckets' | 'loopDelayBuckets' | 'canaryBuckets', from: number, to: number, q: number): number | null {
    const ok = this.snapshots.filter((s) => !s.error);
    const begin = [...ok].reverse().find((s) => s.index <= from);
    const end = ok.find((s) => s.index >= to) ?? ok.at(-1);
    if (!begin || !end || end.index <= begin.index) return null;
    const value = histogramQuantile(q, bucketsDelta(end[key], begin[key]));
    return Number.isNaN(value) ? null : value;
  }

  failedScrapes(): { index: number; error: string }[] {
    return this.snapshots.filter((s) => s.error).map((s) => ({ index: s.index, error: s.error as string }));
  }

  scrapeCount(): number {
    return this.snapshots.length;
  }
}

export function quantileOfBuckets(buckets: Bucket[] | undefined, q: number): number | null {
  if (!buckets) return null;
  const value = histogramQuantile(q, buckets);
  return Number.isNaN(value) ? null : value;
}
