// The workshop's exercise service: a small Fastify app of its own (not the lab api). The routes in
// routes/ are the attendee's files: each is a Fastify plugin with a planted problem to fix.
// Plain JavaScript (.mjs) so it runs with `node server.mjs` on every Node line the lab supports,
// with no build step, loader or type-stripping flag: the attendee edits a file and runs it.
//
// Env: PORT (8090), METRICS_PORT (9474, the watchdog's /metrics), HOST (127.0.0.1),
// EXERCISE_ROUTES_DIR (default ./routes), DEPENDENCY_URL (the slow dependency of /dashboard),
// ACTIVITY_LOG (the log file /activity reads; default: one written once in the OS temp folder).
// Prints one JSON line when listening: {"event":"listening","url":…,"metricsUrl":…}.
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import telemetry from '@runtime-lab/telemetry';
import Fastify from 'fastify';
import * as fixtures from './fixtures.mjs';

const host = process.env.HOST ?? '127.0.0.1';
const routesDir = resolve(process.env.EXERCISE_ROUTES_DIR ?? fileURLToPath(new URL('./routes/', import.meta.url)));
const app = Fastify({ logger: false });
await app.register(telemetry, { watchdog: { port: Number(process.env.METRICS_PORT ?? 9474), host } });
app.get('/ping', async () => ({ ok: true }));
// Routes get their data through options, so a copy of routes/ anywhere on disk runs unchanged.
const options = {
  dependencyUrl: process.env.DEPENDENCY_URL ?? 'http://127.0.0.1:8091',
  activityLog: process.env.ACTIVITY_LOG || fixtures.defaultActivityLog(),
  fixtures,
};
for (const file of readdirSync(routesDir)
  .filter((f) => f.endsWith('.mjs'))
  .sort()) {
  const route = await import(pathToFileURL(join(routesDir, file)).href);
  await app.register(route.default, options);
}
const url = await app.listen({ port: Number(process.env.PORT ?? 8090), host });
const watchdog = app.telemetry.watchdogAddress();
console.log(JSON.stringify({ event: 'listening', url, metricsUrl: `http://${watchdog.host}:${watchdog.port}/metrics` }));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
