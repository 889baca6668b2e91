// Which code held the event loop, for the event-loop starvation finding: the frame with the most
// stalled seconds in the audit window, from the telemetry's stall attribution counters
// (runtime_eventloop_attributed_stall_seconds_total{frame}, present only where the service turned
// stall attribution on). Both sources compute the same quantity: the counters' increase over the
// window, per frame.
import { METRIC_EVENTLOOP_ATTRIBUTED_STALL_SECONDS_TOTAL, METRIC_EVENTLOOP_ATTRIBUTED_STALLS_TOTAL } from '@runtime-lab/metric-names';
import { type Families, samplesOf } from '@runtime-lab/scrape';

export const ATTRIBUTED_STALL_SECONDS = METRIC_EVENTLOOP_ATTRIBUTED_STALL_SECONDS_TOTAL;
export const ATTRIBUTED_STALLS = METRIC_EVENTLOOP_ATTRIBUTED_STALLS_TOTAL;

/** The frame that held the loop longest in the window. */
export interface HeldBy {
  /** 'function (file:line)', or the telemetry's "other" / "unknown" buckets. */
  frame: string;
  stalledSeconds: number;
  stalls: number;
}

function byFrame(families: Families, name: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const sample of samplesOf(families, name)) {
    const frame = sample.labels.frame;
    if (frame !== undefined) values.set(frame, (values.get(frame) ?? 0) + sample.value);
  }
  return values;
}

/**
 * Increase per frame between the first and the last scrape. A frame absent from the first scrape
 * started at 0 inside the window (the counters appear at their first stall); a value lower than
 * before means the service restarted, and the later value is all that is known.
 */
function increase(first: Map<string, number>, last: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [frame, value] of last) {
    const before = first.get(frame) ?? 0;
    const delta = value >= before ? value - before : value;
    if (delta > 0) out.set(frame, delta);
  }
  return out;
}

/** From the first and last successful scrapes of one target; undefined when nothing was attributed. */
export function heldByFromScrapes(first: Families, last: Families): HeldBy | undefined {
  const seconds = increase(byFrame(first, ATTRIBUTED_STALL_SECONDS), byFrame(last, ATTRIBUTED_STALL_SECONDS));
  const stalls = increase(byFrame(first, ATTRIBUTED_STALLS), byFrame(last, ATTRIBUTED_STALLS));
  return topOf(seconds, stalls);
}

/** The frame with the most stalled seconds; ties go to the name that sorts first (stable output). */
export function topOf(seconds: Map<string, number>, stalls: Map<string, number>): HeldBy | undefined {
  let best: HeldBy | undefined;
  for (const [frame, stalledSeconds] of [...seconds].sort(([a], [b]) => a.localeCompare(b))) {
    if (!best || stalledSeconds > best.stalledSeconds) best = { frame, stalledSeconds, stalls: Math.round(stalls.get(frame) ?? 0) };
  }
  return best;
}

/** The PromQL behind the --prometheus source's figure: per-frame increase over the window. */
export function heldByPromql(metric: string, selector: string, windowSeconds: number): string {
  const selected = selector === '' ? metric : `${metric}{${selector}}`;
  return `sum by (job, instance, frame) (increase(${selected}[${Math.max(1, Math.round(windowSeconds))}s]))`;
}

/** "spinCpu (services/api/src/faults/blocking-work.ts:36) held it 8.1s in 13 stalls" */
export function heldByText(heldBy: HeldBy): string {
  return `${heldBy.frame} held it ${heldBy.stalledSeconds.toFixed(1)}s in ${heldBy.stalls} stall${heldBy.stalls === 1 ? '' : 's'}`;
}
