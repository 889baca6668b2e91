// The service the benchmarks measure, run as its own process so the benchmark's clients keep
// running while its event loop is blocked. Config comes from BENCH_APP as JSON:
//   { "plugin": true, "options": { ...TelemetryOptions } }
// It prints one JSON line {"appPort":…, "watchdogPort":…} once it listens.
import Fastify from 'fastify';
import telemetry, { type TelemetryOptions } from '../src/index.js';

interface BenchAppConfig {
  plugin: boolean;
  options?: TelemetryOptions;
}

const config = JSON.parse(process.env.BENCH_APP ?? '{"plugin":true}') as BenchAppConfig;
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

const app = Fastify();
if (config.plugin) await app.register(telemetry, config.options ?? {});
app.get('/ping', async () => ({ ok: true }));
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
