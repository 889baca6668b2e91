// The measurements behind the api's claims (docs/services.md, docs/faults.md), as functions: the tests run them
// briefly and assert on ratios; bench/*.ts runs them longer and prints the figures.
// Each experiment resets every toggle before and after, so they can run back to back.
import { type Families, sumOf } from '@runtime-lab/scrape';
import {
  resetToggles,
  setToggles,
  type Toggles,
  closedLoop,
  openLoopProbe,
  type PressureResult,
  quantile,
  freshSnapshot,
  increase,
  maxBoundBetween,
  meanBetween,
  quantileBetween,
  sampleGauges,
  snapshot,
  type Lab,
} from '@runtime-lab/test-kit';

const ms = (seconds: number) => Math.round(seconds * 1000 * 10) / 10;
const round = (value: number) => Math.round(value * 10) / 10;

async function withPhase<T>(lab: Lab, toggles: Toggles, run: () => Promise<T>): Promise<T> {
  await resetToggles(lab.api.url);
  await setToggles(lab.api.url, toggles);
  try {
    return await run();
  } finally {
    await resetToggles(lab.api.url);
  }
}

function statusCounts(result: PressureResult): Record<string, number> {
  return result.byStatus;
}

// ---------------------------------------------------------------------------------------------

export interface BlockingFigures {
  label: string;
  /** Client-side, open-loop /api/ping latency (ms). */
  pingP50Ms: number;
  pingP99Ms: number;
  pingMaxMs: number;
  /** Server-side histogram of /api/ping (onRequest → response), p99 (ms). */
  serverPingP99Ms: number;
  /** runtime_eventloop_delay_seconds p99 over the phase (ms). */
  loopDelayP99Ms: number;
  /** Upper bound of the longest loop delay recorded in the phase: the bucket holding it (ms). */
  loopDelayMaxMs: number;
  ordersServed: number;
}

export interface BlockingOptions {
  label: string;
  toggles: Toggles;
  connections: number;
  phaseMs: number;
  probeRate: number;
}

/** Pressure on /api/orders, an open-loop probe on /api/ping. */
export async function measureBlocking(lab: Lab, options: BlockingOptions): Promise<BlockingFigures> {
  return withPhase(lab, options.toggles, async () => {
    const before = await freshSnapshot(lab.api.metricsUrl);
    const [pressure, probe] = await Promise.all([
      closedLoop(`${lab.api.url}/api/orders`, { connections: options.connections, durationMs: options.phaseMs }),
      openLoopProbe(`${lab.api.url}/api/ping`, options.probeRate, options.phaseMs),
    ]);
    const after = await freshSnapshot(lab.api.metricsUrl);
    return {
      label: options.label,
      pingP50Ms: round(quantile(probe.latenciesMs, 0.5)),
      pingP99Ms: round(quantile(probe.latenciesMs, 0.99)),
      pingMaxMs: round(Math.max(...probe.latenciesMs)),
      serverPingP99Ms: ms(quantileBetween(before, after, 'runtime_http_request_duration_seconds', 0.99, { route: '/api/ping' })),
      loopDelayP99Ms: ms(quantileBetween(before, after, 'runtime_eventloop_delay_seconds', 0.99)),
      loopDelayMaxMs: ms(maxBoundBetween(before, after, 'runtime_eventloop_delay_seconds')),
      ordersServed: pressure.byStatus['200'] ?? 0,
    };
  });
}

// ---------------------------------------------------------------------------------------------

export interface ThreadpoolFigures {
  label: string;
  /** Client-side, open-loop /api/config latency (ms). */
  configP50Ms: number;
  configP99Ms: number;
  /** runtime_threadpool_canary_seconds over the phase (ms). */
  canaryP50Ms: number;
  canaryP99Ms: number;
  /** Max of runtime_threadpool_canary_pending_seconds sampled (ms). */
  canaryPendingMaxMs: number;
  loopDelayP99Ms: number;
  hashServed: number;
}

export interface PhaseOptions {
  label: string;
  toggles: Toggles;
  connections: number;
  phaseMs: number;
}

/** Pressure on /api/hash, an open-loop probe on /api/config. */
export async function measureThreadpool(lab: Lab, options: PhaseOptions & { probeRate: number }): Promise<ThreadpoolFigures> {
  return withPhase(lab, options.toggles, async () => {
    const before = await freshSnapshot(lab.api.metricsUrl);
    const sampler = sampleGauges(lab.api.metricsUrl, { pending: { sample: 'runtime_threadpool_canary_pending_seconds' } });
    const [pressure, probe] = await Promise.all([
      closedLoop(`${lab.api.url}/api/hash`, { connections: options.connections, durationMs: options.phaseMs }),
      openLoopProbe(`${lab.api.url}/api/config`, options.probeRate, options.phaseMs),
    ]);
    const sampled = await sampler.stop();
    const after = await freshSnapshot(lab.api.metricsUrl);
    return {
      label: options.label,
      configP50Ms: round(quantile(probe.latenciesMs, 0.5)),
      configP99Ms: round(quantile(probe.latenciesMs, 0.99)),
      canaryP50Ms: ms(quantileBetween(before, after, 'runtime_threadpool_canary_seconds', 0.5)),
      canaryP99Ms: ms(quantileBetween(before, after, 'runtime_threadpool_canary_seconds', 0.99)),
      canaryPendingMaxMs: ms(sampled.pending ?? 0),
      loopDelayP99Ms: ms(quantileBetween(before, after, 'runtime_eventloop_delay_seconds', 0.99)),
      hashServed: pressure.byStatus['200'] ?? 0,
    };
  });
}

// ---------------------------------------------------------------------------------------------

export interface ExecutorFigures {
  label: string;
  /** Max of runtime_pool_queue_size{pool="report"} sampled (tasks). */
  queueMax: number;
  /**
   * runtime_pool_wait_seconds{pool="report"} over the phase (ms): the mean is exact (sum/count);
   * the p99 is interpolated inside coarse buckets.
   */
  waitMeanMs: number;
  waitP99Ms: number;
  runMeanMs: number;
  /** Client-side POST /api/report latency, closed loop (ms). */
  reportP50Ms: number;
  /** Client-side, open-loop /api/orders latency (ms). */
  ordersP99Ms: number;
  loopDelayP99Ms: number;
  statuses: Record<string, number>;
  retryAfter: string[];
}

/** Pressure on POST /api/report, an open-loop probe on /api/orders. */
export async function measureExecutor(lab: Lab, options: PhaseOptions & { probeRate: number }): Promise<ExecutorFigures> {
  return withPhase(lab, options.toggles, async () => {
    const pool = { pool: 'report' };
    const before = await freshSnapshot(lab.api.metricsUrl);
    const sampler = sampleGauges(lab.api.metricsUrl, { queue: { sample: 'runtime_pool_queue_size', match: pool } });
    const [pressure, probe] = await Promise.all([
      closedLoop(`${lab.api.url}/api/report`, {
        connections: options.connections,
        durationMs: options.phaseMs,
        method: 'POST',
        body: '{}',
      }),
      openLoopProbe(`${lab.api.url}/api/orders`, options.probeRate, options.phaseMs),
    ]);
    const sampled = await sampler.stop();
    const after = await freshSnapshot(lab.api.metricsUrl);
    return {
      label: options.label,
      queueMax: sampled.queue ?? 0,
      waitMeanMs: ms(meanBetween(before, after, 'runtime_pool_wait_seconds', pool)),
      waitP99Ms: ms(quantileBetween(before, after, 'runtime_pool_wait_seconds', 0.99, pool)),
      runMeanMs: ms(meanBetween(before, after, 'runtime_pool_run_seconds', pool)),
      reportP50Ms: round(quantile(pressure.latenciesMs, 0.5)),
      ordersP99Ms: round(quantile(probe.latenciesMs, 0.99)),
      loopDelayP99Ms: ms(quantileBetween(before, after, 'runtime_eventloop_delay_seconds', 0.99)),
      statuses: statusCounts(pressure),
      retryAfter: [...new Set(pressure.retryAfter)],
    };
  });
}

// ---------------------------------------------------------------------------------------------

export interface AmplificationFigures {
  label: string;
  /** Max of lab_checkout_backlog sampled (queued downstream calls). */
  backlogMax: number;
  /** Checkouts that finished in the phase (any status but 503). */
  checkouts: number;
  /** Downstream calls (incl. retries) per checkout over the phase (mean). */
  callsPerCheckout: number;
  retries: number;
  outcomes: Record<string, number>;
  /** Max of downstream's lab_downstream_waiting sampled. */
  downstreamWaitingMax: number;
  downstreamDropped: number;
  statuses: Record<string, number>;
  retryAfter: string[];
  checkoutP50Ms: number;
}

async function waitForEmptyBacklog(metricsUrl: string, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const families: Families = await snapshot(metricsUrl);
    if ((sumOf(families, 'lab_checkout_backlog') ?? 0) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Pressure on POST /api/checkout with queue-amplification on, plus the given mitigations. */
export async function measureAmplification(lab: Lab, options: PhaseOptions): Promise<AmplificationFigures> {
  const figures = await withPhase(lab, options.toggles, async () => {
    const before = await freshSnapshot(lab.api.metricsUrl);
    const downBefore = await freshSnapshot(lab.downstream.metricsUrl);
    const apiSampler = sampleGauges(lab.api.metricsUrl, { backlog: { sample: 'lab_checkout_backlog' } });
    const downSampler = sampleGauges(lab.downstream.metricsUrl, { waiting: { sample: 'lab_downstream_waiting' } });
    const pressure = await closedLoop(`${lab.api.url}/api/checkout`, {
      connections: options.connections,
      durationMs: options.phaseMs,
      method: 'POST',
      body: '{}',
    });
    const [apiSampled, downSampled] = await Promise.all([apiSampler.stop(), downSampler.stop()]);
    const after = await freshSnapshot(lab.api.metricsUrl);
    const downAfter = await freshSnapshot(lab.downstream.metricsUrl);
    const checkouts = increase(before, after, 'lab_checkout_downstream_calls_count');
    const callsPerCheckout = meanBetween(before, after, 'lab_checkout_downstream_calls');
    const outcomes: Record<string, number> = {};
    for (const outcome of ['ok', 'timeout', 'error', 'dropped']) {
      outcomes[outcome] = increase(before, after, 'lab_downstream_calls_total', { outcome });
    }
    return {
      label: options.label,
      backlogMax: apiSampled.backlog ?? 0,
      checkouts,
      callsPerCheckout: Number.isNaN(callsPerCheckout) ? 0 : round(callsPerCheckout),
      retries: increase(before, after, 'lab_downstream_retries_total'),
      outcomes,
      downstreamWaitingMax: downSampled.waiting ?? 0,
      downstreamDropped: increase(downBefore, downAfter, 'lab_downstream_dropped_total'),
      statuses: statusCounts(pressure),
      retryAfter: [...new Set(pressure.retryAfter)],
      checkoutP50Ms: round(quantile(pressure.latenciesMs, 0.5)),
    };
  });
  // Abandoned calls may still be queued; the next phase must start from an empty queue.
  await waitForEmptyBacklog(lab.api.metricsUrl, 20_000);
  return figures;
}
