// The per-second series of every signal, the report's raw material.
import type { Series } from '../report/schema.js';
import { SIGNAL_IDS, type SignalId } from '../signals.js';
import { CLIENT_KINDS, quantileOfBuckets, type Timeline } from './timeline.js';

const p99 = (histogram: { getValueAtPercentile(p: number): number; totalCount: number } | undefined): number | null =>
  histogram && histogram.totalCount > 0 ? histogram.getValueAtPercentile(99) / 1e6 : null;

/** Value of every signal in second `bin`. */
export function signalsAt(timeline: Timeline, bin: number): Record<SignalId, number | null> {
  const probe = timeline.client.probe.get(bin);
  const ramp = timeline.client.ramp.get(bin);
  const pressure = timeline.client.pressure.get(bin);
  const server = timeline.serverBin(bin);
  let total = 0;
  let failed = 0;
  for (const kind of CLIENT_KINDS) {
    const entry = timeline.client[kind].get(bin);
    if (!entry) continue;
    total += entry.ok + entry.errors + entry.timeouts;
    failed += entry.errors + entry.timeouts;
  }
  const canaryP99 = quantileOfBuckets(server?.canaryBuckets, 0.99);
  const canary = [canaryP99, server?.canaryPending ?? null].filter((v): v is number => v !== null);
  return {
    probeP99: p99(probe?.histogram),
    rampP99: p99(ramp?.histogram),
    pressureP99: p99(pressure?.histogram),
    serverP99: quantileOfBuckets(server?.serverBuckets, 0.99),
    loopDelayP99: quantileOfBuckets(server?.loopDelayBuckets, 0.99),
    loopDelayMax: server?.loopDelayMax ?? null,
    loopStall: server?.loopStall ?? null,
    elu: server?.elu ?? null,
    poolQueue: server?.poolQueue ?? null,
    threadpoolCanary: canary.length > 0 ? Math.max(...canary) : null,
    backlog: server?.backlog ?? null,
    errorRate: total > 0 ? failed / total : null,
  };
}

export function buildSeries(timeline: Timeline, phaseOfBin: (bin: number) => string): Series {
  const series: Series = {
    t: [],
    phase: [],
    probeCount: [],
    probeFailures: [],
    rampCount: [],
    pressureCount: [],
    ...(Object.fromEntries(SIGNAL_IDS.map((id) => [id, []])) as unknown as Record<SignalId, (number | null)[]>),
  };
  const count = (kind: 'probe' | 'ramp' | 'pressure', bin: number): number => {
    const e = timeline.client[kind].get(bin);
    return e ? e.ok + e.errors + e.timeouts : 0;
  };
  for (let bin = 0; bin < timeline.seconds; bin += 1) {
    series.t.push(bin);
    series.phase.push(phaseOfBin(bin));
    series.probeCount.push(count('probe', bin));
    const probe = timeline.client.probe.get(bin);
    series.probeFailures.push(probe ? probe.errors + probe.timeouts : 0);
    series.rampCount.push(count('ramp', bin));
    series.pressureCount.push(count('pressure', bin));
    const values = signalsAt(timeline, bin);
    for (const id of SIGNAL_IDS) (series[id] as (number | null)[]).push(values[id]);
  }
  return series;
}
