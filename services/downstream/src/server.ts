// Entry point without the signal supervisor: node services/downstream/dist/src/server.js
// (main.js runs this under the supervisor; that is how `lab up` and the image start it).
// Env: PORT (8081), HOST (127.0.0.1), METRICS_PORT (9465), METRICS_HOST, LAB_ADMIN_TOKEN,
// DOWNSTREAM_LATENCY_MS (20), DOWNSTREAM_CONCURRENCY (16), LOG_LEVEL (warn),
// SHUTDOWN_DRAIN_MS (3000), SHUTDOWN_DEADLINE_MS (4500), LIVENESS_MAX_STALL_MS (10000),
// LAB_STOP_FD (set by the supervisor).
import Fastify from 'fastify';
import downstream, { DOWNSTREAM_DEFAULTS } from './app.js';
import { integerFromEnv, readServiceEnv, serve, startOrRelease, watchdogOptions } from '@runtime-lab/service-kit';

const env = readServiceEnv(process.env, { port: 8081, metricsPort: 9465 });
const app = Fastify({ logger: { level: env.logLevel } });
await startOrRelease('downstream', app, async () => {
  await app.register(downstream, {
    adminToken: env.adminToken,
    telemetry: { watchdog: watchdogOptions(env) },
    settings: {
      latencyMs: integerFromEnv(process.env, 'DOWNSTREAM_LATENCY_MS', DOWNSTREAM_DEFAULTS.latencyMs, 0, 60_000),
      concurrency: integerFromEnv(process.env, 'DOWNSTREAM_CONCURRENCY', DOWNSTREAM_DEFAULTS.concurrency, 1, 1024),
    },
  });
  await serve({ service: 'downstream', app, env });
});
