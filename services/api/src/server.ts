// Entry point without the signal supervisor: node services/api/dist/src/server.js (main.js runs
// this under the supervisor, which `lab up` and the image use; alone, SIGTERM during a blocking
// fault waits for the current block to end, and the api says so at start).
// Env: PORT (8080), HOST (127.0.0.1; compose sets 0.0.0.0), METRICS_PORT (9464), METRICS_HOST,
// DOWNSTREAM_URL (http://127.0.0.1:8081), LAB_ADMIN_TOKEN, LOG_LEVEL (warn), LAB_STOP_FD (set by
// the supervisor), SHUTDOWN_DRAIN_MS (3000), SHUTDOWN_DEADLINE_MS (4500), LIVENESS_MAX_STALL_MS
// (10000: /livez on the metrics port fails after the loop stalled this long), LAB_STALL_ATTRIBUTION
// (on|off: name the code that held the loop, on by default here, see docs/measurement.md),
// UV_THREADPOOL_SIZE (libuv, default 4: read once by Node at start-up; it sets how much async
// crypto/fs can run at once).
import {
  ServiceConfigError,
  readServiceEnv,
  serve,
  serviceLoggerOptions,
  setRedactedNotFound,
  startOrRelease,
  urlFromEnv,
  watchdogOptions,
} from '@runtime-lab/service-kit';
import Fastify from 'fastify';
import api, { DEFAULT_DOWNSTREAM_URL } from './app.js';
import { newStopFlag, requestStop } from './faults/blocking-work.js';

const env = readServiceEnv(process.env, { port: 8080, metricsPort: 9464 });
const downstreamUrl = urlFromEnv(process.env, 'DOWNSTREAM_URL', DEFAULT_DOWNSTREAM_URL);
const stop = newStopFlag();
const attribution = process.env.LAB_STALL_ATTRIBUTION || 'on';
if (attribution !== 'on' && attribution !== 'off') throw new ServiceConfigError('LAB_STALL_ATTRIBUTION', attribution, 'on or off');
// The runner polls GET /stalls every 2 s; 200 covers a run of back-to-back stalls between polls.
const stallAttribution = attribution === 'on' ? { recentStalls: 200 } : false;
const app = Fastify({ logger: serviceLoggerOptions(env.logLevel, [env.adminToken]) });
setRedactedNotFound(app, [env.adminToken]);
await startOrRelease('api', app, async () => {
  await app.register(api, {
    downstreamUrl,
    adminToken: env.adminToken,
    telemetry: { watchdog: watchdogOptions(env), stallAttribution },
    stop,
  });
  await serve({
    service: 'api',
    app,
    env,
    stop,
    onShutdownStart: () => requestStop(stop),
    onDrainTimeout: () => void app.lab.checkout.close(),
  });
});
