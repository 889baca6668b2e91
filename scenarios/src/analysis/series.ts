// The per-second value of every signal, the report's raw material.
import type { Bucket } from '@runtime-lab/scrape';
import type { Series } from '../report/schema.js';
import { SIGNAL_IDS, type SignalId } from '../signals.js';
import { type Reading, bucketQuantile, exact, isExact, maxOf, toReportValue } from './range.js';
import { CLIENT_KINDS, type ClientBin, type ClientKind, type Timeline } from './timeline.js';

export type Readings = Record<SignalId, Reading | null>;
export type ReadingSeries = Record<SignalId, (Reading | null)[]>;

/**
 * q-quantile of client latencies (seconds). When more requests timed out than the quantile
 * leaves above it, the quantile is itself a timeout: the request took at least the timeout, how
 * much longer nobody knows, so the reading is "at least" rather than the recorded figure.
 */
export function clientQuantile(entry: ClientBin | undefined, q: number): Reading | null {
  if (!entry) return null;
  const total = entry.ok + entry.errors + entry.timeouts;
  if (total > 0 && entry.timeoutFloorMs !== undefined && entry.timeouts >= total - Math.ceil(q * total - 1e-9) + 1) {
    return { lo: entry.timeoutFloorMs / 1000, hi: Number.POSITIVE_INFINITY };
  }
  return entry.histogram.totalCount > 0 ? exact(entry.histogram.getValueAtPercentile(q * 100) / 1e6) : null;
}

/**
 * The canary's callback runs on the main loop, so a busy loop delays it too, and not by one
 * stall only: with 600 ms blocks and an idle threadpool it read 1-2.5 s (its callback waited
 * several loop turns), more than the auditor's "worst stall × ELU" discount removes. The loop
 * can have held the canary for at most its share of the time (ELU), so the threadpool's part is
 * certainly at least (1 − ELU) of the lower bound; the upper bound makes no claim (the loop's
 * part may be nil). Unknown ELU counts as 1: nothing is claimed for the threadpool.
 */
export function threadpoolCanaryOf(
  canaryBuckets: Bucket[] | undefined,
  pending: number | undefined,
  elu: number | undefined,
): Reading | null {
  const canary = maxOf([bucketQuantile(0.99, canaryBuckets), pending === undefined ? null : exact(pending)]);
  if (!canary) return null;
  const free = 1 - Math.min(1, Math.max(0, elu ?? 1));
  return { lo: canary.lo * free, hi: canary.hi };
}

const gauge = (value: number | undefined): Reading | null => (value === undefined ? null : exact(value));

/** Value of every signal in second `bin`. */
export function signalsAt(timeline: Timeline, bin: number): Readings {
  const server = timeline.serverBin(bin);
  let total = 0;
  let failed = 0;
  for (const kind of CLIENT_KINDS) {
    const entry = timeline.clientBin(kind, bin);
    if (!entry) continue;
    total += entry.ok + entry.errors + entry.timeouts;
    failed += entry.errors + entry.timeouts;
  }
  return {
    probeP99: clientQuantile(timeline.clientBin('probe', bin), 0.99),
    coldProbeP99: clientQuantile(timeline.clientBin('cold', bin), 0.99),
    rampP99: clientQuantile(timeline.clientBin('ramp', bin), 0.99),
    pressureP99: clientQuantile(timeline.clientBin('pressure', bin), 0.99),
    serverP99: bucketQuantile(0.99, server.serverBuckets),
    loopDelayP99: bucketQuantile(0.99, server.loopDelayBuckets) ?? gauge(server.loopDelayP99Gauge),
    loopDelayMax: gauge(server.loopDelayMax),
    loopStall: gauge(server.loopStall),
    elu: gauge(server.elu),
    poolQueue: gauge(server.poolQueue),
    threadpoolCanary: threadpoolCanaryOf(server.canaryBuckets, server.canaryPending, server.elu),
    backlog: gauge(server.backlog),
    errorRate: total > 0 ? exact(failed / total) : null,
  };
}

/** Every signal, one reading per second of the run. */
export function buildReadings(timeline: Timeline): ReadingSeries {
  const out = Object.fromEntries(SIGNAL_IDS.map((id) => [id, [] as (Reading | null)[]])) as ReadingSeries;
  for (let bin = 0; bin < timeline.seconds; bin += 1) {
    const values = signalsAt(timeline, bin);
    for (const id of SIGNAL_IDS) out[id].push(values[id]);
  }
  return out;
}

/** The report's `series`: one column per signal (exact value or upper bound), lower bounds where a value is a range. */
export function toReportSeries(timeline: Timeline, readings: ReadingSeries, phaseOfBin: (bin: number) => string): Series {
  const count = (kind: ClientKind, bin: number): number => {
    const e = timeline.clientBin(kind, bin);
    return e ? e.ok + e.errors + e.timeouts : 0;
  };
  const failures = (kind: ClientKind, bin: number): number => {
    const e = timeline.clientBin(kind, bin);
    return e ? e.errors + e.timeouts : 0;
  };
  const bins = Array.from({ length: timeline.seconds }, (_, bin) => bin);
  const lowerBounds: Series['lowerBounds'] = {};
  for (const id of SIGNAL_IDS) {
    if (readings[id].some((r) => r !== null && !isExact(r))) lowerBounds[id] = readings[id].map((r) => (r === null ? null : r.lo));
  }
  return {
    t: bins,
    phase: bins.map(phaseOfBin),
    probeCount: bins.map((bin) => count('probe', bin)),
    probeFailures: bins.map((bin) => failures('probe', bin)),
    coldProbeCount: bins.map((bin) => count('cold', bin)),
    coldProbeFailures: bins.map((bin) => failures('cold', bin)),
    rampCount: bins.map((bin) => count('ramp', bin)),
    pressureCount: bins.map((bin) => count('pressure', bin)),
    probeSendLatenessMaxMs: timeline.maxLatenessMs('probe'),
    ...(Object.fromEntries(SIGNAL_IDS.map((id) => [id, readings[id].map((r) => toReportValue(r).value)])) as Record<
      SignalId,
      (number | null)[]
    >),
    lowerBounds,
    ...(timeline.streamNames().length > 0 ? { streams: streamSeries(timeline, bins) } : {}),
  };
}

/** Per named stream, per second: requests, failures and P99 (its lower bound where only "at least the timeout" is known). */
function streamSeries(timeline: Timeline, bins: number[]): NonNullable<Series['streams']> {
  const out: NonNullable<Series['streams']> = {};
  for (const name of timeline.streamNames()) {
    const entries = bins.map((bin) => timeline.streamWindow(name, bin, bin + 1));
    out[name] = {
      count: entries.map((e) => (e ? e.ok + e.errors + e.timeouts : 0)),
      failures: entries.map((e) => (e ? e.errors + e.timeouts : 0)),
      p99: entries.map((e) => {
        const r = clientQuantile(e, 0.99);
        return r === null ? null : Number.isFinite(r.hi) ? r.hi : r.lo;
      }),
    };
  }
  return out;
}
