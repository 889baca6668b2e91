// A stand-in for a service's watchdog port, for testing the auditor before (and beside) the real
// api: real HTTP on an ephemeral port, a real prom-client registry with the metric names of
// docs/metrics.md, and a state the test sets to imitate each fault.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface FakeState {
  /** runtime_eventloop_delay_max_seconds */
  loopDelayMax: number;
  /** runtime_eventloop_stall_seconds (live) */
  stall: number;
  /** Event-loop utilization: runtime_eventloop_active_seconds_total grows by this per second. */
  elu: number;
  /** Latency of every threadpool canary (10 per second), and the pending gauge. */
  canarySeconds: number;
  canaryPending: number;
  poolThreads: number;
  poolQueue: number;
  /** Busy workers (Little's L): runtime_pool_run_seconds_sum grows by this per second. */
  poolBusy: number;
  backlog: number;
  snapshotAge: number;
  /** When set, /metrics answers only after this many ms (to imitate a blocked /metrics). */
  responseDelayMs: number;
}

export const HEALTHY: FakeState = {
  loopDelayMax: 0.004,
  stall: 0.002,
  elu: 0.1,
  canarySeconds: 0.0005,
  canaryPending: 0,
  poolThreads: 2,
  poolQueue: 0,
  poolBusy: 0.1,
  backlog: 0,
  snapshotAge: 0.3,
  responseDelayMs: 0,
};

export interface FakeService {
  url: string;
  state: FakeState;
  set(patch: Partial<FakeState>): void;
  close(): Promise<void>;
}

export async function startFakeService(initial: Partial<FakeState> = {}): Promise<FakeService> {
  const registry = new Registry();
  const r = [registry];
  const gauge = (name: string, labelNames: string[] = []) => new Gauge({ name, help: name, labelNames, registers: r });
  const delayMax = gauge('runtime_eventloop_delay_max_seconds');
  const stall = gauge('runtime_eventloop_stall_seconds');
  const active = new Counter({ name: 'runtime_eventloop_active_seconds_total', help: 'x', registers: r });
  const canary = new Histogram({ name: 'runtime_threadpool_canary_seconds', help: 'x', buckets: [0.001, 0.01, 0.1, 1, 10], registers: r });
  const pending = gauge('runtime_threadpool_canary_pending_seconds');
  const threads = gauge('runtime_pool_threads', ['pool']);
  const queue = gauge('runtime_pool_queue_size', ['pool']);
  const run = new Histogram({ name: 'runtime_pool_run_seconds', help: 'x', labelNames: ['pool'], buckets: [0.01, 0.1, 1], registers: r });
  const backlog = gauge('lab_checkout_backlog');
  const age = gauge('runtime_watchdog_snapshot_age_seconds');

  const state: FakeState = { ...HEALTHY, ...initial };
  // Rates follow the wall clock, not the timer: on a loaded machine a 100 ms timer runs late.
  let advancedAtMs = performance.now();
  const advance = (): void => {
    const now = performance.now();
    const elapsed = (now - advancedAtMs) / 1000;
    advancedAtMs = now;
    active.inc(state.elu * elapsed);
    // One task whose run time makes the busy-time rate equal poolBusy.
    run.observe({ pool: 'report' }, state.poolBusy * elapsed);
  };
  const timer = setInterval(() => {
    advance();
    canary.observe(state.canarySeconds);
  }, 100);

  const server: Server = createServer((req, res) => {
    const answer = async (): Promise<void> => {
      advance();
      delayMax.set(state.loopDelayMax);
      stall.set(state.stall);
      pending.set(state.canaryPending);
      threads.set({ pool: 'report' }, state.poolThreads);
      queue.set({ pool: 'report' }, state.poolQueue);
      backlog.set(state.backlog);
      age.set(state.snapshotAge);
      if (req.url !== '/metrics') {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
    };
    if (state.responseDelayMs > 0) setTimeout(() => void answer(), state.responseDelayMs);
    else void answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    state,
    set(patch) {
      Object.assign(state, patch);
    },
    async close() {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
