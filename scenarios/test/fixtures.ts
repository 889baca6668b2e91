// Hand-made watchdog snapshots for the analysis tests: what a scrape of the api's watchdog
// port would have read, with cumulative histograms built from lists of observations.
import type { Bucket } from '@runtime-lab/scrape';
import type { Snapshot } from '../src/sample/snapshot.js';

/** Power-of-two loop-delay bounds (seconds), 1 ms to 16.384 s. */
export const POW2_EDGES = Array.from({ length: 15 }, (_, i) => 2 ** i / 1000);
/** The http/canary style bounds. */
export const HTTP_EDGES = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Cumulative buckets (with +Inf) holding `observations`. */
export function cumulative(edges: number[], observations: number[]): Bucket[] {
  return [...edges, Number.POSITIVE_INFINITY].map((le) => ({ le, count: observations.filter((o) => o <= le).length }));
}

const GAUGES = ['activeSeconds', 'loopDelayMax', 'loopStall', 'elu', 'poolQueue', 'canaryPending', 'backlog'] as const;

export interface SnapshotSpec extends Partial<Pick<Snapshot, (typeof GAUGES)[number] | 'error'>> {
  index: number;
  /** Age of the registry snapshot when served (s). */
  age?: number;
  /** Scrape lateness after its due time (ms). */
  lateMs?: number;
  /** Every loop-delay observation so far (cumulative). */
  loopDelays?: number[];
  serverDurations?: number[];
  canary?: number[];
}

export const RUN_START_MS = 1_700_000_000_000;

export function snapshot(spec: SnapshotSpec): Snapshot {
  const atMs = RUN_START_MS + spec.index * 1000 + (spec.lateMs ?? 3);
  if (spec.error) return { index: spec.index, atMs, error: spec.error, serverBuckets: [], loopDelayBuckets: [], canaryBuckets: [] };
  const out: Snapshot = {
    index: spec.index,
    atMs,
    serverBuckets: cumulative(HTTP_EDGES, spec.serverDurations ?? []),
    loopDelayBuckets: cumulative(POW2_EDGES, spec.loopDelays ?? []),
    canaryBuckets: cumulative(HTTP_EDGES, spec.canary ?? []),
    snapshotAge: spec.age ?? 0.2,
  };
  for (const key of GAUGES) {
    if (spec[key] !== undefined) out[key] = spec[key];
  }
  return out;
}

/** `n` loop-delay observations of `seconds` each. */
export const times = (n: number, seconds: number): number[] => Array.from({ length: n }, () => seconds);
