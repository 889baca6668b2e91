// Per-second bins of everything a run observes, on one time axis starting at the run's
// start. Client records are binned by when they were (meant to be) sent, server signals by
// the second their registry snapshot describes (server-bins.ts). Phase summaries and the
// report's series both read from here.
import type { Histogram } from 'hdr-histogram-js';
import { build } from 'hdr-histogram-js';
import type { Snapshot } from '../sample/snapshot.js';
import { type PlacedSnapshot, type ServerBin, bucketEdges, placeSnapshots, serverBinOf, windowDelta } from './server-bins.js';
import type { Bucket } from '@runtime-lab/scrape';

/** probe: the warm probe (keep-alive); cold: the cold probe (a new connection per request). */
export type ClientKind = 'probe' | 'cold' | 'ramp' | 'pressure';
export const CLIENT_KINDS: readonly ClientKind[] = ['probe', 'cold', 'ramp', 'pressure'];

export interface ClientBin {
  /** Latencies (µs) on the timeline's basis: from the intended send time, or from the actual one. */
  histogram: Histogram;
  ok: number;
  errors: number;
  timeouts: number;
  /** Smallest latency recorded for a timeout (ms): what every timed-out request took at least. */
  timeoutFloorMs?: number;
}

/** A bin as recorded: both bases, so the verdict can be checked for dependence on the sender's own lateness. */
interface RecordedBin extends ClientBin {
  fromSend: Histogram;
  timeoutFloorFromSendMs?: number;
  /** Largest send lateness in the bin (ms). */
  maxLatenessMs: number;
}

/**
 * What client latencies are measured from: `intended` (the lab's measure: no coordinated
 * omission) or `send` (the sender's own lateness left out, for the sensitivity check only).
 */
export type LatencyBasis = 'intended' | 'send';

/** Latencies are kept in microseconds: HDR histograms record integers. */
export function newLatencyHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 'packed',
  });
}

export class Timeline {
  private recorded: Record<ClientKind, Map<number, RecordedBin>> = {
    probe: new Map(),
    cold: new Map(),
    ramp: new Map(),
    pressure: new Map(),
  };
  private snapshots: Snapshot[] = [];
  private placed: PlacedSnapshot[] = [];
  private byStream = new Map<string, Map<number, RecordedBin>>();
  private basisOf: LatencyBasis = 'intended';

  constructor(
    readonly startMs: number,
    readonly seconds: number,
    readonly intervalMs = 1000,
  ) {}

  get basis(): LatencyBasis {
    return this.basisOf;
  }

  /** The same records (shared, not copied), client latencies measured from each request's actual send time. */
  fromSendTimes(): Timeline {
    const view = Object.create(this) as Timeline;
    view.basisOf = 'send';
    return view;
  }

  /** Client bin `bin` of `kind` on this timeline's basis. */
  clientBin(kind: ClientKind, bin: number): ClientBin | undefined {
    return this.view(this.recorded[kind].get(bin));
  }

  /** A recorded bin on this timeline's basis. */
  private view(entry: RecordedBin | undefined): ClientBin | undefined {
    if (!entry || this.basisOf === 'intended') return entry;
    return {
      histogram: entry.fromSend,
      ok: entry.ok,
      errors: entry.errors,
      timeouts: entry.timeouts,
      ...(entry.timeoutFloorFromSendMs === undefined ? {} : { timeoutFloorMs: entry.timeoutFloorFromSendMs }),
    };
  }

  /** Largest send lateness per second of `kind` (ms), null where nothing was sent. */
  maxLatenessMs(kind: ClientKind): (number | null)[] {
    return Array.from({ length: this.seconds }, (_, bin) => this.recorded[kind].get(bin)?.maxLatenessMs ?? null);
  }

  binOf(epochMs: number): number {
    return Math.floor((epochMs - this.startMs) / 1000);
  }

  /**
   * One request. `latencyMs` (from the intended send time) null: counted (errors, the error rate),
   * not timed. `latenessMs`: how late it was actually sent (open-loop streams; 0 for closed loop).
   */
  addClient(kind: ClientKind, intendedMs: number, latencyMs: number | null, outcome: 'ok' | 'error' | 'timeout', latenessMs = 0): void {
    this.recordInto(this.recorded[kind], intendedMs, latencyMs, outcome, latenessMs);
  }

  /**
   * One request of the named load stream (also recorded under its kind with addClient): the
   * per-stream figures of the report, so it can say which route timed out.
   */
  addStream(stream: string, intendedMs: number, latencyMs: number | null, outcome: 'ok' | 'error' | 'timeout', latenessMs = 0): void {
    let bins = this.byStream.get(stream);
    if (!bins) {
      bins = new Map();
      this.byStream.set(stream, bins);
    }
    this.recordInto(bins, intendedMs, latencyMs, outcome, latenessMs);
  }

  /** Names of the streams that recorded at least one request, in the order they first did. */
  streamNames(): string[] {
    return [...this.byStream.keys()];
  }

  /** Merged histogram and counts of one stream over bins [from, to), on this timeline's basis. */
  streamWindow(stream: string, from: number, to: number): ClientBin | undefined {
    return this.mergeWindow((bin) => this.view(this.byStream.get(stream)?.get(bin)), from, to);
  }

  private recordInto(
    bins: Map<number, RecordedBin>,
    intendedMs: number,
    latencyMs: number | null,
    outcome: 'ok' | 'error' | 'timeout',
    latenessMs: number,
  ): void {
    const bin = this.binOf(intendedMs);
    if (bin < 0 || bin >= this.seconds) return;
    let entry = bins.get(bin);
    if (!entry) {
      entry = { histogram: newLatencyHistogram(), fromSend: newLatencyHistogram(), ok: 0, errors: 0, timeouts: 0, maxLatenessMs: 0 };
      bins.set(bin, entry);
    }
    entry.maxLatenessMs = Math.max(entry.maxLatenessMs, latenessMs);
    const fromSendMs = latencyMs === null ? null : Math.max(0, latencyMs - latenessMs);
    if (latencyMs !== null) entry.histogram.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
    if (fromSendMs !== null) entry.fromSend.recordValue(Math.max(1, Math.round(fromSendMs * 1000)));
    if (outcome === 'ok') entry.ok += 1;
    else if (outcome === 'timeout') {
      entry.timeouts += 1;
      if (latencyMs !== null) entry.timeoutFloorMs = Math.min(entry.timeoutFloorMs ?? Number.POSITIVE_INFINITY, latencyMs);
      if (fromSendMs !== null)
        entry.timeoutFloorFromSendMs = Math.min(entry.timeoutFloorFromSendMs ?? Number.POSITIVE_INFINITY, fromSendMs);
    } else entry.errors += 1;
  }

  setSnapshots(snapshots: Snapshot[]): void {
    this.snapshots = [...snapshots].sort((a, b) => a.index - b.index);
    this.placed = placeSnapshots(this.snapshots, this.intervalMs);
  }

  /** Merged client histogram and counts over bins [from, to). */
  clientWindow(kind: ClientKind, from: number, to: number): ClientBin | undefined {
    return this.mergeWindow((bin) => this.clientBin(kind, bin), from, to);
  }

  private mergeWindow(binAt: (bin: number) => ClientBin | undefined, from: number, to: number): ClientBin | undefined {
    let merged: ClientBin | undefined;
    for (let bin = from; bin < to; bin += 1) {
      const entry = binAt(bin);
      if (!entry) continue;
      if (!merged) merged = { histogram: newLatencyHistogram(), ok: 0, errors: 0, timeouts: 0 };
      merged.histogram.add(entry.histogram);
      merged.ok += entry.ok;
      merged.errors += entry.errors;
      merged.timeouts += entry.timeouts;
      if (entry.timeoutFloorMs !== undefined)
        merged.timeoutFloorMs = Math.min(merged.timeoutFloorMs ?? Number.POSITIVE_INFINITY, entry.timeoutFloorMs);
    }
    return merged;
  }

  /** Server signals of second `bin` (see server-bins.ts). */
  serverBin(bin: number): ServerBin {
    return serverBinOf(this.placed, this.snapshots, bin);
  }

  /** A server histogram's increase over bins [from, to), null when no fresh snapshots bracket the window. */
  serverWindow(key: 'serverBuckets' | 'loopDelayBuckets' | 'canaryBuckets', from: number, to: number): Bucket[] | null {
    return windowDelta(this.placed, key, from, to);
  }

  bucketEdges(key: 'serverBuckets' | 'loopDelayBuckets' | 'canaryBuckets'): number[] {
    return bucketEdges(this.placed, key);
  }

  /** Some snapshot carried prom-client's loop-delay gauge instead of the plugin's histogram. */
  hasGaugeFallback(): boolean {
    return this.snapshots.some((s) => s.loopDelayP99Gauge !== undefined);
  }

  failedScrapes(): { index: number; error: string }[] {
    return this.snapshots.filter((s) => s.error).map((s) => ({ index: s.index, error: s.error as string }));
  }

  /** Seconds of the run no fresh registry snapshot describes: their registry signals are null ("stale"). */
  staleSeconds(): number[] {
    const fresh = new Set(this.placed.map((p) => p.bin));
    return Array.from({ length: this.seconds }, (_, bin) => bin).filter((bin) => !fresh.has(bin));
  }

  scrapeCount(): number {
    return this.snapshots.length;
  }
}
