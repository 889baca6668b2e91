// A phase's summary of each signal: p99 over every observation for latency histograms
// (client HDR histograms merged, server buckets differenced across the window), max or mean
// of the per-second values for gauges, a ratio of counts for errors. Histogram figures are
// bucket bounds (range.ts), never interpolated.
import { SIGNALS, SIGNAL_IDS, type SignalId } from '../signals.js';
import { type Reading, bucketMax, bucketQuantile, exact, maxOf, meanOf, minOf, quantileOf } from './range.js';
import { type ReadingSeries, clientQuantile } from './series.js';
import { CLIENT_KINDS, type ClientKind, type Timeline } from './timeline.js';

export type Stat = 'p99' | 'max' | 'mean' | 'min' | 'ratio';

export interface Window {
  /** First bin included (phase start + settle). */
  from: number;
  /** First bin after the window. */
  to: number;
}

const CLIENT_OF: Partial<Record<SignalId, ClientKind>> = {
  probeP99: 'probe',
  coldProbeP99: 'cold',
  rampP99: 'ramp',
  pressureP99: 'pressure',
};
const HISTOGRAM_OF: Partial<Record<SignalId, 'serverBuckets' | 'loopDelayBuckets'>> = {
  serverP99: 'serverBuckets',
  loopDelayP99: 'loopDelayBuckets',
};

export function summarise(timeline: Timeline, readings: ReadingSeries, id: SignalId, window: Window, stat?: Stat): Reading | null {
  const chosen = stat ?? SIGNALS[id].phaseStat;
  const perSecond = readings[id].slice(window.from, window.to);
  if (chosen === 'p99') {
    const client = CLIENT_OF[id];
    if (client) return clientQuantile(timeline.clientWindow(client, window.from, window.to), 0.99);
    const histogram = HISTOGRAM_OF[id];
    if (histogram && (histogram === 'serverBuckets' || hasHistogram(timeline, histogram))) {
      return bucketQuantile(0.99, timeline.serverWindow(histogram, window.from, window.to) ?? undefined);
    }
    // A gauge (or prom-client's per-interval loop delay p99, a target without the telemetry
    // plugin's histogram): its p99 is taken over the per-second values.
    return quantileOf(perSecond, 0.99);
  }
  if (chosen === 'ratio') {
    if (id !== 'errorRate') return summarise(timeline, readings, id, window, 'mean');
    let total = 0;
    let failed = 0;
    for (const kind of CLIENT_KINDS) {
      const merged = timeline.clientWindow(kind, window.from, window.to);
      if (!merged) continue;
      total += merged.ok + merged.errors + merged.timeouts;
      failed += merged.errors + merged.timeouts;
    }
    return total > 0 ? exact(failed / total) : null;
  }
  if (chosen === 'max') {
    // The gauge is a max over the last few seconds: a stall from the previous phase would
    // still show here. The histogram records a stall when it ends, in the phase it ended in.
    // prom-client's default metrics have no histogram: the max of its per-second gauge then.
    if (id === 'loopDelayMax' && hasHistogram(timeline, 'loopDelayBuckets')) {
      return bucketMax(timeline.serverWindow('loopDelayBuckets', window.from, window.to) ?? undefined);
    }
    return maxOf(perSecond);
  }
  if (chosen === 'min') return minOf(perSecond);
  return meanOf(perSecond);
}

/** The target served this histogram (the telemetry plugin); prom-client's default metrics have gauges instead. */
function hasHistogram(timeline: Timeline, key: 'serverBuckets' | 'loopDelayBuckets'): boolean {
  return timeline.bucketEdges(key).length > 0 || !timeline.hasGaugeFallback();
}

export function summariseAll(timeline: Timeline, readings: ReadingSeries, window: Window): Record<SignalId, Reading | null> {
  return Object.fromEntries(SIGNAL_IDS.map((id) => [id, summarise(timeline, readings, id, window)])) as Record<SignalId, Reading | null>;
}

export function clientCounts(
  timeline: Timeline,
  window: Window,
): Record<ClientKind, { requests: number; errors: number; timeouts: number }> {
  const out = {} as Record<ClientKind, { requests: number; errors: number; timeouts: number }>;
  for (const kind of CLIENT_KINDS) {
    const merged = timeline.clientWindow(kind, window.from, window.to);
    out[kind] = merged
      ? { requests: merged.ok + merged.errors + merged.timeouts, errors: merged.errors, timeouts: merged.timeouts }
      : { requests: 0, errors: 0, timeouts: 0 };
  }
  return out;
}
