// The services' environment: the telemetry plugin reads none, so METRICS_PORT and METRICS_HOST
// are read here and handed to the plugin as its watchdog options.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import telemetry from '@runtime-lab/telemetry';
import Fastify from 'fastify';
import { ServiceConfigError, readServiceEnv, watchdogOptions } from '../src/index.js';

const DEFAULTS = { port: 8080, metricsPort: 9464 };

test('METRICS_PORT and METRICS_HOST give the watchdog its port and host; a bad METRICS_PORT is named', async () => {
  assert.throws(
    () => readServiceEnv({ METRICS_PORT: 'abc' }, DEFAULTS),
    (error: unknown) =>
      error instanceof ServiceConfigError && /METRICS_PORT="abc" is invalid: expected an integer from 0 to 65535/.test(error.message),
  );
  assert.deepEqual((({ metricsPort, metricsHost }) => ({ metricsPort, metricsHost }))(readServiceEnv({}, DEFAULTS)), {
    metricsPort: 9464,
    metricsHost: '127.0.0.1',
  });

  const env = readServiceEnv({ METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' }, DEFAULTS);
  const app = Fastify();
  await app.register(telemetry, { watchdog: { port: env.metricsPort, host: env.metricsHost } });
  await app.ready();
  const address = app.telemetry.watchdogAddress();
  await app.close();
  assert.equal(address?.host, '127.0.0.1');
  assert.ok(address && address.port > 0, 'METRICS_PORT=0 binds an ephemeral port');
});

test('LIVENESS_MAX_STALL_MS becomes the watchdog option livenessMaxStallMs; unset leaves the plugin default; a bad value is named', () => {
  assert.deepEqual(watchdogOptions(readServiceEnv({ METRICS_PORT: '0', LIVENESS_MAX_STALL_MS: '1500' }, DEFAULTS)), {
    port: 0,
    host: '127.0.0.1',
    livenessMaxStallMs: 1500,
  });
  assert.deepEqual(watchdogOptions(readServiceEnv({}, DEFAULTS)), { port: 9464, host: '127.0.0.1' });
  assert.throws(
    () => readServiceEnv({ LIVENESS_MAX_STALL_MS: '50' }, DEFAULTS),
    (error: unknown) =>
      error instanceof ServiceConfigError &&
      /LIVENESS_MAX_STALL_MS="50" is invalid: expected an integer from 200 to 3600000/.test(error.message),
  );
});
