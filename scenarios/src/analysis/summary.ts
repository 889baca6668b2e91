// A phase's summary of each signal: p99 over every observation for latency histograms
// (client HDR histograms merged, server buckets differenced across the window), max or mean
// of the per-second values for gauges, a ratio of counts for errors.
import type { Series } from '../report/schema.js';
import { SIGNALS, SIGNAL_IDS, type SignalId } from '../signals.js';
import { CLIENT_KINDS, type ClientKind, type Timeline } from './timeline.js';

export type Stat = 'p99' | 'max' | 'mean' | 'min' | 'ratio';

export interface Window {
  /** First bin included (phase start + settle). */
  from: number;
  /** First bin after the window. */
  to: number;
}

function perSecond(series: Series, id: SignalId, window: Window): number[] {
  const values = (series[id] as (number | null)[]).slice(window.from, window.to);
  return values.filter((v): v is number => v !== null && !Number.isNaN(v));
}

const CLIENT_OF: Partial<Record<SignalId, ClientKind>> = { probeP99: 'probe', rampP99: 'ramp', pressureP99: 'pressure' };
const SERVER_OF: Partial<Record<SignalId, 'serverBuckets' | 'loopDelayBuckets'>> = {
  serverP99: 'serverBuckets',
  loopDelayP99: 'loopDelayBuckets',
};

export function summarise(timeline: Timeline, series: Series, id: SignalId, window: Window, stat?: Stat): number | null {
  const chosen = stat ?? SIGNALS[id].phaseStat;
  if (chosen === 'p99') {
    const client = CLIENT_OF[id];
    if (client) {
      const merged = timeline.clientWindow(client, window.from, window.to);
      return merged && merged.histogram.totalCount > 0 ? merged.histogram.getValueAtPercentile(99) / 1e6 : null;
    }
    const server = SERVER_OF[id];
    if (server) return timeline.serverWindowQuantile(server, window.from, window.to, 0.99);
    // A gauge has no distribution over a phase: its p99 is taken over the per-second values.
    const values = perSecond(series, id, window).sort((a, b) => a - b);
    return values.length ? (values[Math.min(values.length - 1, Math.ceil(0.99 * values.length) - 1)] as number) : null;
  }
  if (chosen === 'ratio') {
    if (id !== 'errorRate') return summarise(timeline, series, id, window, 'mean');
    let total = 0;
    let failed = 0;
    for (const kind of CLIENT_KINDS) {
      const merged = timeline.clientWindow(kind, window.from, window.to);
      if (!merged) continue;
      total += merged.ok + merged.errors + merged.timeouts;
      failed += merged.errors + merged.timeouts;
    }
    return total > 0 ? failed / total : null;
  }
  const values = perSecond(series, id, window);
  if (values.length === 0) return null;
  if (chosen === 'max') return Math.max(...values);
  if (chosen === 'min') return Math.min(...values);
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export function summariseAll(timeline: Timeline, series: Series, window: Window): Record<SignalId, number | null> {
  return Object.fromEntries(SIGNAL_IDS.map((id) => [id, summarise(timeline, series, id, window)])) as Record<SignalId, number | null>;
}

export function clientCounts(timeline: Timeline, window: Window): Record<ClientKind, { requests: number; errors: number; timeouts: number }> {
  const out = {} as Record<ClientKind, { requests: number; errors: number; timeouts: number }>;
  for (const kind of CLIENT_KINDS) {
    const merged = timeline.clientWindow(kind, window.from, window.to);
    out[kind] = merged
      ? { requests: merged.ok + merged.errors + merged.timeouts, errors: merged.errors, timeouts: merged.timeouts }
      : { requests: 0, errors: 0, timeouts: 0 };
  }
  return out;
}
