import { channel } from 'node:diagnostics_channel';
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import telemetry, { ErrorCodes, type TelemetryOptions } from '../src/index.js';

async function registrationError(
  options: unknown,
  registry = new Registry(),
): Promise<{ error: Error & { code?: string }; registry: Registry }> {
  const app = Fastify();
  try {
    await app.register(telemetry, { registry, ...(options as object) } as TelemetryOptions);
    await app.ready();
  } catch (error) {
    await app.close();
    return { error: error as Error & { code?: string }, registry };
  }
  await app.close();
  throw new Error(`registration with ${JSON.stringify(options)} should have failed`);
}

function openMetricsRegistry(): Registry {
  const registry = new Registry();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
  return registry;
}

const invalid: Array<[string, unknown, RegExp]> = [
  ['prefix', { prefix: '9bad' }, /invalid option prefix: got "9bad", allowed: a Prometheus metric-name prefix/],
  ['prefix type', { prefix: 3 }, /invalid option prefix: got 3/],
  ['registry', { registry: {} }, /invalid option registry: got an object, allowed: a prom-client Registry/],
  [
    'registry content type',
    { registry: openMetricsRegistry() },
    /invalid option registry: got "a Registry with content type application\/openmetrics-text.*allowed: a Registry with the Prometheus text content type/,
  ],
  ['defaultMetrics', { defaultMetrics: 'yes' }, /invalid option defaultMetrics: got "yes", allowed: true or false/],
  ['watchdog', { watchdog: 'on' }, /invalid option watchdog: got "on", allowed: false or an object/],
  ['watchdog.port', { watchdog: { port: 70000 } }, /invalid option watchdog.port: got 70000, allowed: an integer from 0 to 65535/],
  ['watchdog.host', { watchdog: { host: '' } }, /invalid option watchdog.host: got "", allowed: a host name or IP address/],
  [
    'watchdog.snapshotIntervalMs',
    { watchdog: { snapshotIntervalMs: 5000 } },
    /watchdog.snapshotIntervalMs: got 5000, allowed: an integer from 10 to 1000/,
  ],
  [
    'watchdog.heartbeatIntervalMs',
    { watchdog: { heartbeatIntervalMs: 0.5 } },
    /watchdog.heartbeatIntervalMs: got 0.5, allowed: an integer from 1 to 100/,
  ],
  [
    'watchdog.livenessMaxStallMs',
    { watchdog: { livenessMaxStallMs: 50 } },
    /invalid option watchdog.livenessMaxStallMs: got 50, allowed: an integer from 200 to 3600000/,
  ],
  ['watchdog.nice', { watchdog: { nice: -5 } }, /invalid option watchdog.nice: got -5, allowed: an integer from 0 to 19/],
  ['watchdog.nice', { watchdog: { nice: 20 } }, /invalid option watchdog.nice: got 20, allowed: an integer from 0 to 19/],
  [
    'watchdog unknown key',
    { watchdog: { prot: 1 } },
    /invalid option watchdog.prot: got 1, allowed: no such option; known options: port, host/,
  ],
  [
    'loopDelay.maxWindowSeconds',
    { loopDelay: { maxWindowSeconds: 0 } },
    /loopDelay.maxWindowSeconds: got 0, allowed: an integer from 1 to 300/,
  ],
  ['eluIntervalMs', { eluIntervalMs: -1 }, /invalid option eluIntervalMs: got -1, allowed: an integer from 50 to 60000/],
  ['threadpoolCanary', { threadpoolCanary: 5 }, /invalid option threadpoolCanary: got 5, allowed: false or an object with intervalMs/],
  [
    'threadpoolCanary.intervalMs',
    { threadpoolCanary: { intervalMs: 1 } },
    /threadpoolCanary.intervalMs: got 1, allowed: an integer from 10 to 60000/,
  ],
  ['http', { http: 1 }, /invalid option http: got 1, allowed: true or false/],
  ['metricsRoute', { metricsRoute: null }, /invalid option metricsRoute: got null, allowed: true or false/],
  ['unknown key', { metricRoute: true }, /invalid option metricRoute: got true, allowed: no such option; known options: prefix, registry/],
];

for (const [name, options, message] of invalid) {
  test(`invalid option ${name} fails registration naming it, and registers nothing`, async () => {
    const { error, registry } = await registrationError({ watchdog: false, ...(options as object) });
    assert.equal(error.code, ErrorCodes.INVALID_OPTION);
    assert.match(error.message, message);
    assert.deepEqual(
      registry.getMetricsAsArray().map((m) => m.name),
      [],
    );
  });
}

test('a watchdog port in use fails registration naming the port, and registers nothing', async () => {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const address = blocker.address();
  assert.ok(address && typeof address === 'object');
  try {
    const { error, registry } = await registrationError({ watchdog: { port: address.port, host: '127.0.0.1' } });
    assert.equal(error.code, ErrorCodes.PORT_IN_USE);
    assert.match(error.message, new RegExp(`watchdog port ${address.port} on 127.0.0.1 is already in use`));
    assert.deepEqual(
      registry.getMetricsAsArray().map((m) => m.name),
      [],
    );
  } finally {
    blocker.close();
  }
});

test('a registry that already holds our metrics is refused, and the first owner keeps them', async () => {
  const registry = new Registry();
  const first = Fastify();
  await first.register(telemetry, { registry, watchdog: false });
  await first.ready();
  const names = registry
    .getMetricsAsArray()
    .map((m) => m.name)
    .sort();
  try {
    const { error } = await registrationError({ watchdog: false }, registry);
    assert.equal(error.code, ErrorCodes.REGISTRY_CONFLICT);
    assert.match(error.message, /already holds a metric named/);
    assert.deepEqual(
      registry
        .getMetricsAsArray()
        .map((m) => m.name)
        .sort(),
      names,
    );
  } finally {
    await first.close();
  }
  // After close the registry is free again: a restarted app can reuse it.
  assert.deepEqual(
    registry.getMetricsAsArray().map((m) => m.name),
    [],
  );
  const second = Fastify();
  await second.register(telemetry, { registry, watchdog: false, prefix: 'svc_' });
  await second.ready();
  assert.ok(registry.getSingleMetric('svc_eventloop_delay_seconds'));
  await second.close();
});

test('a feature that is off registers no hook and no metric', async () => {
  const hooksOf = async (options: TelemetryOptions): Promise<{ hooks: string[]; names: string[] }> => {
    const app = Fastify();
    const hooks: string[] = [];
    const addHook = app.addHook.bind(app);
    // fastify-plugin runs the plugin on this very instance, so spying on it sees every hook.
    app.addHook = ((name: string, fn: never) => {
      hooks.push(name);
      return addHook(name as never, fn);
    }) as typeof app.addHook;
    await app.register(telemetry, options);
    await app.ready();
    const names = app.telemetry.registry.getMetricsAsArray().map((m) => m.name);
    await app.close();
    return { hooks, names };
  };
  const off = await hooksOf({ http: false, watchdog: false, threadpoolCanary: false, defaultMetrics: false });
  assert.deepEqual(off.hooks, ['onClose']);
  assert.ok(!off.names.some((n) => /http|canary|watchdog|^nodejs_|^process_/.test(n)), off.names.join(', '));
  const on = await hooksOf({ watchdog: false });
  // HTTP: one app-wide onRequest hook and an onRoute hook (which gives each route its own
  // onRequest hook, with its label); the response end comes from Node's diagnostics channel,
  // and closing the app unsubscribes (no other app is open in this file at this point).
  assert.deepEqual(on.hooks.sort(), ['onClose', 'onRequest', 'onRoute']);
  assert.equal(channel('http.server.response.finish').hasSubscribers, false);
  assert.equal(channel('http.server.request.start').hasSubscribers, false);
  assert.ok(on.names.includes('runtime_http_request_duration_seconds'));
  assert.ok(on.names.includes('runtime_threadpool_canary_seconds'));
  assert.ok(on.names.includes('nodejs_eventloop_lag_seconds'));
});

test('close() clears every timer the plugin started', async () => {
  const live = new Set<number>();
  const hook = createHook({
    init(id, type) {
      if (type === 'Timeout') live.add(id);
    },
    destroy(id) {
      live.delete(id);
    },
  });
  const app = Fastify();
  hook.enable();
  await app.register(telemetry, { watchdog: { port: 0 }, eluIntervalMs: 100, threadpoolCanary: { intervalMs: 20 } });
  await app.ready();
  await new Promise((r) => setTimeout(r, 150));
  assert.ok(live.size > 0, 'the plugin runs timers while open');
  await app.close();
  // Destroy hooks are emitted asynchronously; give them a few turns (setImmediate creates no Timeout).
  for (let turn = 0; turn < 500 && live.size > 0; turn++) await new Promise((r) => setImmediate(r));
  hook.disable();
  assert.equal(live.size, 0, `${live.size} timer(s) still alive after close()`);
});
