// The service the benchmarks measure, run as its own process so the benchmark's clients keep
// running while its event loop is blocked. Config comes from BENCH_APP as JSON:
//   { "plugin": true, "options": { ...TelemetryOptions } }
// It prints one JSON line {"appPort":…, "watchdogPort":…} once it listens.
import { subscribe } from 'node:diagnostics_channel';
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Fastify from 'fastify';
import { Counter, Histogram, Summary } from 'prom-client';
import telemetry, { SNAPSHOT_CHANNEL, type SnapshotPublished, type TelemetryOptions } from '../src/index.js';
import { threadCpuMs } from '../src/snapshot.js';

interface BenchAppConfig {
  plugin: boolean;
  options?: TelemetryOptions;
  /** Adds a metric with this many label sets to the plugin's registry (the cost of a large registry). */
  bigSeries?: number;
  /** What that metric is. Default histogram (14 buckets); a summary gets 5 values per label set. */
  bigKind?: 'histogram' | 'counter' | 'summary';
}

const config = JSON.parse(process.env.BENCH_APP ?? '{"plugin":true}') as BenchAppConfig;
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

const app = Fastify();
if (config.plugin) await app.register(telemetry, config.options ?? {});
app.get('/ping', async () => ({ ok: true }));
if (config.plugin && config.bigSeries && config.bigKind === 'counter') {
  const big = new Counter({ name: 'bench_big_total', help: 'A large counter.', labelNames: ['id'], registers: [app.telemetry.registry] });
  for (let i = 0; i < config.bigSeries; i++) big.inc({ id: `series-${i}` }, i % 1000);
} else if (config.plugin && config.bigSeries && config.bigKind === 'summary') {
  const big = new Summary({
    name: 'bench_big_summary_seconds',
    help: 'A large summary.',
    labelNames: ['id'],
    registers: [app.telemetry.registry],
  });
  for (let i = 0; i < config.bigSeries; i++) for (let k = 0; k < 5; k++) big.observe({ id: `series-${i}` }, ((i + k) % 1000) / 1000);
} else if (config.plugin && config.bigSeries) {
  const big = new Histogram({
    name: 'bench_big_seconds',
    help: 'A large histogram.',
    labelNames: ['id'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [app.telemetry.registry],
  });
  for (let i = 0; i < config.bigSeries; i++) big.observe({ id: `series-${i}` }, (i % 1000) / 1000);
}
// The label sets just made are still in V8's young generation, where a long-running app's were
// moved long ago: the first scavenge after the fill (whatever allocates) pays for moving them. One
// full GC here, so the first scrape measures serializing the registry, not having filled it.
if (config.bigSeries !== undefined) {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
// The app's own view of its loop, independent of the plugin: the longest delay and the ELU since
// the previous call of GET /bench/loop (Node's histogram: a long stall is one sample of its length),
// the longest GC pause (V8's, from the gc performance entries), and what the watchdog's snapshots
// (their diagnostics channel) or a main-loop GET /metrics (onRequest to onResponse) held the loop.
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
let eluMark = performance.eventLoopUtilization();
const costs = {
  gcMaxMs: 0,
  gcTotalMs: 0,
  snapshots: 0,
  maxSliceMs: 0,
  maxSliceCpuMs: 0,
  maxSlices: 0,
  maxElapsedMs: 0,
  routeMaxMs: 0,
  routeMaxCpuMs: 0,
  mainCpuMs: 0,
};
// Only for the registry-cost bench (bigSeries, 0 included: the plugin's own registry alone); the
// other benches measure per-request cost.
if (config.bigSeries !== undefined) {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      costs.gcMaxMs = Math.max(costs.gcMaxMs, entry.duration);
      costs.gcTotalMs += entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });
  subscribe(SNAPSHOT_CHANNEL, (message) => {
    const snapshot = message as SnapshotPublished;
    costs.snapshots += 1;
    costs.maxSliceMs = Math.max(costs.maxSliceMs, snapshot.maxSliceMs);
    costs.maxSliceCpuMs = Math.max(costs.maxSliceCpuMs, snapshot.maxSliceCpuMs ?? Number.NaN);
    costs.mainCpuMs += snapshot.workCpuMs ?? Number.NaN;
    costs.maxSlices = Math.max(costs.maxSlices, snapshot.slices);
    costs.maxElapsedMs = Math.max(costs.maxElapsedMs, snapshot.elapsedMs);
  });
  // Main-thread CPU (process.threadCpuUsage, Node 22.19+; NaN where it is missing).
  const routeStarts = new WeakMap<object, { wall: number; cpu: number }>();
  app.addHook('onRequest', async (request) => {
    if (request.url === '/metrics') routeStarts.set(request, { wall: performance.now(), cpu: threadCpuMs() });
  });
  app.addHook('onResponse', async (request) => {
    const started = routeStarts.get(request);
    if (started === undefined) return;
    costs.routeMaxMs = Math.max(costs.routeMaxMs, performance.now() - started.wall);
    const cpu = threadCpuMs() - started.cpu;
    costs.routeMaxCpuMs = Math.max(costs.routeMaxCpuMs, cpu);
    costs.mainCpuMs += cpu;
  });
}
app.get('/bench/loop', async () => {
  const elu = performance.eventLoopUtilization(eluMark);
  eluMark = performance.eventLoopUtilization();
  const maxMs = loopDelay.max / 1e6;
  loopDelay.reset();
  // The process's CPU time so far (all threads, µs resolution), in ms.
  const usage = process.cpuUsage();
  const seen = { ...costs, processCpuMs: (usage.user + usage.system) / 1000 };
  for (const key of Object.keys(costs) as (keyof typeof costs)[]) costs[key] = 0;
  return { maxMs, elu: elu.utilization, ...seen };
});
// Busy-spins for ms: a synchronous stall of the event loop. Returns the stall's start and end
// on process.hrtime (CLOCK_MONOTONIC: comparable with the benchmark process's clock).
app.get<{ Querystring: { ms?: string } }>('/block', async (request) => {
  const ms = Number(request.query.ms ?? 0);
  const startedMs = nowMs();
  while (nowMs() - startedMs < ms) {
    // blocked on purpose
  }
  return { startedMs, endedMs: nowMs() };
});

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const appPort = typeof address === 'object' && address ? address.port : 0;
const watchdogPort = config.plugin ? (app.telemetry.watchdogAddress()?.port ?? null) : null;
process.stdout.write(`${JSON.stringify({ appPort, watchdogPort })}\n`);

const shutdown = (): void => {
  void app.close().then(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
