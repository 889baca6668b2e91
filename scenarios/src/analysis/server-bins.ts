// Where each watchdog scrape belongs on the run's time axis. The watchdog answers during a
// stall, but with the last registry snapshot the main loop managed to take (refreshed every
// ~0.5 s, `runtime_watchdog_snapshot_age_seconds` old). Everything read from that snapshot
// (gauges, counters, histograms) describes the moment it was taken, not the moment of the
// scrape: crediting it to the scrape's second would show pre-stall values through a stall and
// make every registry signal look late by up to the stall's length. Only the live stall gauge
// is computed by the watchdog itself, at scrape time.
import type { Bucket } from '@runtime-lab/scrape';
import { bucketsDelta, increasePerSecond, snapshotTakenAtMs } from '@runtime-lab/scrape';
import type { Snapshot } from '../sample/snapshot.js';

/** A registry snapshot the watchdog served for the first time, and the second it describes. */
export interface PlacedSnapshot {
  snapshot: Snapshot;
  /** Second of the run whose end the snapshot describes (it was taken during that second). */
  bin: number;
  /** Epoch ms it was taken: the scrape's time minus the snapshot's age (rates are taken between these). */
  takenAtMs: number;
}

/**
 * Two reads of one registry snapshot. The active-seconds counter settles it exactly; without
 * it, taken-at times within this much of each other (snapshots are ~500 ms apart, two reads
 * of one differ only by the scrapes' own jitter).
 */
export const SAME_SNAPSHOT_WITHIN_MS = 100;

const takenAtMsOf = (s: Snapshot): number => snapshotTakenAtMs(s.atMs, s.snapshotAge);

function sameRegistrySnapshot(a: PlacedSnapshot, b: Snapshot): boolean {
  if (a.snapshot.activeSeconds !== undefined && b.activeSeconds !== undefined) return a.snapshot.activeSeconds === b.activeSeconds;
  return Math.abs(a.takenAtMs - takenAtMsOf(b)) < SAME_SNAPSHOT_WITHIN_MS;
}

/**
 * The fresh snapshots among the successful scrapes, oldest first, each placed in the second
 * it describes. Scrape k is due at start + k·interval; its snapshot describes (due − age), and
 * a value taken in (b, b+1] describes second b, as a scrape at the end of a second always did.
 * The scheduled time rather than the scrape's own: a snapshot taken just before a second's end
 * must not flip into the next second with a millisecond of the runner's jitter (the error this
 * leaves is the scrape's lateness, a few ms, against the snapshot's 500 ms refresh).
 */
export function placeSnapshots(snapshots: Snapshot[], intervalMs = 1000): PlacedSnapshot[] {
  const placed: PlacedSnapshot[] = [];
  for (const snapshot of [...snapshots].sort((a, b) => a.index - b.index)) {
    if (snapshot.error) continue;
    const previous = placed.at(-1);
    if (previous && sameRegistrySnapshot(previous, snapshot)) continue;
    const describedOffsetMs = snapshotTakenAtMs(snapshot.index * intervalMs, snapshot.snapshotAge);
    const bin = Math.ceil(describedOffsetMs / intervalMs - 1e-9) - 1;
    placed.push({ snapshot, bin: Math.max(bin, previous?.bin ?? bin), takenAtMs: takenAtMsOf(snapshot) });
  }
  return placed;
}

type HistogramKey = 'serverBuckets' | 'loopDelayBuckets' | 'canaryBuckets';

/** One second of server signals. Registry-derived fields are absent when no fresh snapshot was taken in it. */
export interface ServerBin {
  /** A fresh registry snapshot describes this second. */
  fresh: boolean;
  /** Histogram deltas since the previous fresh snapshot. */
  serverBuckets?: Bucket[];
  loopDelayBuckets?: Bucket[];
  canaryBuckets?: Bucket[];
  /** Gauges as the last fresh snapshot of the second read them. */
  loopDelayMax?: number;
  /** prom-client's loop delay p99 gauge (a target without the telemetry plugin's histogram). */
  loopDelayP99Gauge?: number;
  poolQueue?: number;
  canaryPending?: number;
  backlog?: number;
  /** Loop utilization between the previous fresh snapshot and this second's last one. */
  elu?: number;
  /** Live: computed by the watchdog at the scrape closing this second. */
  loopStall?: number;
}

export function serverBinOf(placed: PlacedSnapshot[], snapshots: Snapshot[], bin: number): ServerBin {
  const closing = snapshots.find((s) => s.index === bin + 1 && !s.error);
  const live = closing?.loopStall === undefined ? {} : { loopStall: closing.loopStall };
  const first = placed.findIndex((p) => p.bin === bin);
  if (first === -1) return { fresh: false, ...live };
  let lastIndex = first;
  while (placed[lastIndex + 1]?.bin === bin) lastIndex += 1;
  const end = placed[lastIndex] as PlacedSnapshot;
  const begin = placed[first - 1];
  const out: ServerBin = { fresh: true, ...live };
  const s = end.snapshot;
  if (s.loopDelayMax !== undefined) out.loopDelayMax = s.loopDelayMax;
  if (s.loopDelayP99Gauge !== undefined) out.loopDelayP99Gauge = s.loopDelayP99Gauge;
  if (s.poolQueue !== undefined) out.poolQueue = s.poolQueue;
  if (s.canaryPending !== undefined) out.canaryPending = s.canaryPending;
  if (s.backlog !== undefined) out.backlog = s.backlog;
  const elu = begin ? eluBetween(begin, end) : undefined;
  if (elu !== undefined) out.elu = elu;
  else if (s.elu !== undefined) out.elu = s.elu;
  if (begin) {
    for (const key of ['serverBuckets', 'loopDelayBuckets', 'canaryBuckets'] as const) out[key] = bucketsDelta(s[key], begin.snapshot[key]);
  }
  return out;
}

/**
 * ELU from the active-seconds counter between two snapshots: exact over exactly the time they
 * span, where the ELU gauge covers its own last interval, which may straddle two seconds.
 */
function eluBetween(begin: PlacedSnapshot, end: PlacedSnapshot): number | undefined {
  const elu = increasePerSecond(begin.snapshot.activeSeconds, end.snapshot.activeSeconds, end.takenAtMs - begin.takenAtMs);
  return elu === undefined ? undefined : Math.min(1, elu);
}

/**
 * A histogram's increase over seconds [from, to): from the last fresh snapshot describing a
 * second before the window to the last describing a second inside it. An observation counts
 * in the window the registry recorded it in (a stall, when it ended).
 */
export function windowDelta(placed: PlacedSnapshot[], key: HistogramKey, from: number, to: number): Bucket[] | null {
  const begin = placed.filter((p) => p.bin <= from - 1).at(-1);
  const end = placed.filter((p) => p.bin <= to - 1).at(-1);
  if (!begin || !end || end === begin) return null;
  return bucketsDelta(end.snapshot[key], begin.snapshot[key]);
}

/** The bucket bounds a histogram was served with (for checking thresholds against them). */
export function bucketEdges(placed: PlacedSnapshot[], key: HistogramKey): number[] {
  const buckets = placed.find((p) => p.snapshot[key].length > 0)?.snapshot[key] ?? [];
  return buckets.map((b) => b.le).filter((le) => Number.isFinite(le));
}
