// What verify measures on the attendee's running service: a real process, real HTTP on loopback,
// open-loop load from the scenario engine's OpenLoopStream (latency from each request's intended
// send time, so a stalled service cannot hide its stall by slowing the client down), and the
// service's own watchdog /metrics read before and after.
import {
  bucketsDelta,
  bucketsOf,
  type Bucket,
  type ScrapeResult,
  scrapeMetrics,
  samplesOf,
  scrapeSnapshotAfter,
} from '@runtime-lab/scrape';
import {
  METRIC_EVENTLOOP_DELAY_SECONDS,
  METRIC_HTTP_REQUESTS_INFLIGHT,
  METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS,
} from '@runtime-lab/metric-names';
import { OpenLoopStream, type OpenLoopRecord, constantRate, warmSocketsFor } from '@runtime-lab/scenarios';
import type { LoadPlan } from './catalogue.js';

export interface StreamFigures {
  requests: number;
  /** Non-2xx/4xx-expected answers, connection errors and timeouts together. */
  errors: number;
  /** Nearest-rank P99 of latency from the intended send time, seconds; null with no requests. */
  p99Seconds: number | null;
}

export interface Measurement {
  pingP99Seconds: number | null;
  /** The same /ping probe on a new connection per request (the cold client: accept waits for the loop too). */
  coldPingP99Seconds: number | null;
  route: StreamFigures;
  /** The p99 bucket of the loop-delay histogram over the load window (delta of two scrapes). */
  loopDelayP99: { lower: number; upper: number } | null;
  /** Largest in-flight request count seen in the scrapes taken during the load. */
  inflightMax: number | null;
  dependencyCalls: number;
}

const PING_RATE = 20;

/** A scrape describing a moment no earlier than now (see scrapeSnapshotAfter: the watchdog's snapshot can be ~0.5 s old). */
function scrapeFromNow(metricsUrl: string): Promise<ScrapeResult> {
  return scrapeSnapshotAfter(metricsUrl, performance.now(), {
    ageMetric: METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS,
    timeoutMs: 3000,
    waitMs: 3000,
  });
}
const COLD_PING_RATE = 5;

function figures(records: OpenLoopRecord[]): StreamFigures {
  const latencies = records.map((r) => r.latencyMs).sort((a, b) => a - b);
  const p99 = latencies.length ? (latencies[Math.min(latencies.length - 1, Math.ceil(0.99 * latencies.length) - 1)] as number) : null;
  return {
    requests: records.length,
    errors: records.filter((r) => r.outcome !== 'ok').length,
    p99Seconds: p99 === null ? null : p99 / 1000,
  };
}

/** The bucket holding the q-quantile: [previous bound, its bound]. Exact within the histogram's resolution. */
export function quantileBucket(q: number, buckets: Bucket[]): { lower: number; upper: number } | null {
  const total = buckets[buckets.length - 1]?.count ?? 0;
  if (total <= 0) return null;
  let lower = 0;
  for (const b of buckets) {
    if (b.count >= q * total) return { lower, upper: b.le };
    lower = b.le;
  }
  return { lower, upper: Number.POSITIVE_INFINITY };
}

async function stream(
  url: string,
  plan: { method: 'GET' | 'POST'; body?: unknown; ratePerSecond: number; durationMs: number; warm: boolean; newConnections?: boolean },
  into: OpenLoopRecord[],
): Promise<OpenLoopStream> {
  const s = new OpenLoopStream({
    url,
    method: plan.method,
    ...(plan.body === undefined ? {} : { body: JSON.stringify(plan.body) }),
    timeoutMs: 5000,
    durationMs: plan.durationMs,
    segments: constantRate(plan.ratePerSecond),
    ...(plan.warm ? { warmup: { path: '/ping', sockets: warmSocketsFor(plan.ratePerSecond) } } : {}),
    ...(plan.newConnections ? { connection: 'new' as const } : {}),
    onRecords: (records) => into.push(...records),
  });
  await s.ready();
  return s;
}

/** Runs `plan` against the route and the /ping probe beside it; reads the watchdog before, during and after. */
export async function measureUnderLoad(
  serviceUrl: string,
  metricsUrl: string,
  plan: LoadPlan,
  dependencyCalls: () => number,
): Promise<Measurement> {
  const durationMs = plan.durationSeconds * 1000;
  const pings: OpenLoopRecord[] = [];
  const routeRecords: OpenLoopRecord[] = [];
  const coldPings: OpenLoopRecord[] = [];
  const probe = await stream(new URL('/ping', serviceUrl).href, { method: 'GET', ratePerSecond: PING_RATE, durationMs, warm: true }, pings);
  const coldProbe = await stream(
    new URL('/ping', serviceUrl).href,
    { method: 'GET', ratePerSecond: COLD_PING_RATE, durationMs, warm: false, newConnections: true },
    coldPings,
  );
  const load = await stream(
    new URL(plan.path, serviceUrl).href,
    { method: plan.method, body: plan.body, ratePerSecond: plan.ratePerSecond, durationMs, warm: true },
    routeRecords,
  );
  const before = await scrapeFromNow(metricsUrl);
  const callsBefore = dependencyCalls();
  const start = Date.now() + 100;
  probe.start(start);
  coldProbe.start(start);
  load.start(start);
  let inflightMax: number | null = null;
  const poll = setInterval(() => {
    scrapeMetrics(metricsUrl, 1000).then(
      (r) => {
        const value = samplesOf(r.families, METRIC_HTTP_REQUESTS_INFLIGHT)[0]?.value;
        if (value !== undefined) inflightMax = Math.max(inflightMax ?? 0, value);
      },
      () => undefined, // a missed scrape only loses one in-flight reading
    );
  }, 500);
  try {
    await Promise.all([probe.done(), coldProbe.done(), load.done()]);
  } finally {
    clearInterval(poll);
  }
  const after = await scrapeFromNow(metricsUrl);
  const delta = bucketsDelta(
    bucketsOf(after.families, METRIC_EVENTLOOP_DELAY_SECONDS),
    bucketsOf(before.families, METRIC_EVENTLOOP_DELAY_SECONDS),
  );
  return {
    pingP99Seconds: figures(pings).p99Seconds,
    coldPingP99Seconds: figures(coldPings).p99Seconds,
    route: figures(routeRecords),
    loopDelayP99: quantileBucket(0.99, delta),
    inflightMax,
    dependencyCalls: dependencyCalls() - callsBefore,
  };
}
