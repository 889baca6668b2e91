import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { parseExposition, sumOf } from '@runtime-lab/scrape';
import { downstream as downstreamPlugin } from '@runtime-lab/downstream';
import Fastify, { type FastifyInstance } from 'fastify';
import { TOGGLE_NAMES } from '../src/faults/catalogue.js';
import { build, stableState } from './helper.js';

interface Toggle {
  name: string;
  kind: string;
  active: boolean;
  params: Record<string, unknown>;
  expiresAt: string | null;
  remainingSeconds: number | null;
}

async function metrics(app: FastifyInstance) {
  return parseExposition(await app.telemetry.registry.metrics());
}

describe('admin API (inject)', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await build();
  });
  after(async () => {
    // Undefined when build() failed (it released what it had started itself).
    await app?.close();
  });

  const list = async (): Promise<Toggle[]> => (await app.inject({ method: 'GET', url: '/admin/faults' })).json().faults;

  test('GET /admin/faults lists every fault and mitigation, all off, with their defaults', async () => {
    const faults = await list();
    assert.deepEqual(
      faults.map((f) => f.name),
      TOGGLE_NAMES,
    );
    assert.ok(faults.every((f) => !f.active && f.expiresAt === null && f.remainingSeconds === null));
    assert.deepEqual(faults.find((f) => f.name === 'blocking')?.params, {
      mode: 'cpu',
      durationMs: 200,
      fraction: 1,
      routes: ['orders'],
      trigger: '',
    });
    assert.deepEqual(new Set(faults.map((f) => f.kind)), new Set(['fault', 'mitigation']));
  });

  test('PUT turns a toggle on with clamping reported; metrics follow; DELETE turns it off', async () => {
    const started = Date.now();
    const put = await app.inject({
      method: 'PUT',
      url: '/admin/faults/queue-amplification',
      payload: { fanOut: 50, retries: 2, ttlSeconds: 120 },
    });
    assert.equal(put.statusCode, 200);
    const body = put.json();
    assert.equal(body.fault.active, true);
    assert.equal(body.fault.params.fanOut, 20);
    assert.equal(body.fault.params.retries, 2);
    assert.deepEqual(body.clamped, [{ param: 'fanOut', requested: 50, applied: 20 }]);
    assert.equal(body.fault.remainingSeconds, 120);
    const expires = Date.parse(body.fault.expiresAt);
    assert.ok(expires >= started + 119_000 && expires <= Date.now() + 120_000);
    // Nothing listens at the downstream URL: the api side is on, and the response says downstream was not set.
    assert.equal(body.warnings.length, 1);
    assert.match(body.warnings[0], /could not configure downstream at http:\/\/127\.0\.0\.1:9/);

    let m = await metrics(app);
    assert.equal(sumOf(m, 'lab_fault_active', { fault: 'queue-amplification', kind: 'fault' }), 1);
    assert.equal(sumOf(m, 'lab_fault_active', { fault: 'blocking', kind: 'fault' }), 0);
    assert.equal(sumOf(m, 'lab_fault_active', { fault: 'retry-budget', kind: 'mitigation' }), 0);
    assert.equal(sumOf(m, 'lab_fault_parameter', { fault: 'queue-amplification', param: 'fanOut' }), 20);

    const del = await app.inject({ method: 'DELETE', url: '/admin/faults/queue-amplification' });
    assert.equal(del.statusCode, 200);
    assert.equal(del.json().fault.active, false);
    m = await metrics(app);
    assert.equal(sumOf(m, 'lab_fault_active', { fault: 'queue-amplification', kind: 'fault' }), 0);
    assert.equal(
      sumOf(m, 'lab_fault_parameter', { fault: 'queue-amplification' }),
      undefined,
      'parameters of an inactive toggle disappear',
    );
  });

  test('DELETE /admin/faults turns every fault and mitigation off', async () => {
    for (const name of ['blocking', 'retry-budget', 'deadline-propagation']) {
      assert.equal(
        (await app.inject({ method: 'PUT', url: `/admin/faults/${name}`, payload: { fraction: 0 } })).statusCode,
        name === 'blocking' ? 200 : 400,
      );
    }
    await app.inject({ method: 'PUT', url: '/admin/faults/retry-budget' });
    assert.equal((await list()).filter((f) => f.active).length, 2);
    const reset = await app.inject({ method: 'DELETE', url: '/admin/faults' });
    assert.equal(reset.statusCode, 200);
    assert.ok(reset.json().faults.every((f: Toggle) => !f.active));
    assert.ok((await list()).every((f) => !f.active));
  });

  test('mistakes are 4xx that say what is allowed, and change nothing', async () => {
    await app.inject({ method: 'PUT', url: '/admin/faults/offload', payload: { threads: 2 } });
    const stateBefore = stableState(await list());
    const cases: { url: string; payload?: string; headers?: Record<string, string>; status: number; message: RegExp }[] = [
      {
        url: '/admin/faults/nope',
        payload: '{}',
        status: 404,
        message: /no fault or mitigation named "nope"; allowed: blocking, executor-saturation/,
      },
      { url: '/admin/faults/blocking', payload: '{"durationMs": 20', status: 400, message: /JSON/ },
      { url: '/admin/faults/blocking', payload: '[1,2]', status: 400, message: /must be a JSON object/ },
      { url: '/admin/faults/blocking', payload: '{"mode":"fast"}', status: 400, message: /mode: expected one of "cpu"/ },
      {
        url: '/admin/faults/blocking',
        payload: 'durationMs=200',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        status: 415,
        message: /send Content-Type: application\/json/,
      },
      {
        url: '/admin/faults/offload',
        payload: '{"threads":0}',
        status: 400,
        message: /threads: expected an integer ≥ 1 \(values above 16 are clamped to 16\)/,
      },
    ];
    for (const c of cases) {
      const response = await app.inject({
        method: 'PUT',
        url: c.url,
        headers: { 'content-type': 'application/json', ...c.headers },
        ...(c.payload === undefined ? {} : { payload: c.payload }),
      });
      assert.equal(response.statusCode, c.status, `${c.url} ${c.payload}: ${response.body}`);
      assert.match(response.json().message, c.message);
      assert.deepEqual(stableState(await list()), stateBefore, `state unchanged after ${c.payload}`);
    }
    const unknown = await app.inject({ method: 'DELETE', url: '/admin/faults/nope' });
    assert.equal(unknown.statusCode, 404);
    assert.ok(Array.isArray(unknown.json().allowed));
    await app.inject({ method: 'DELETE', url: '/admin/faults' });
  });

  test('admin is loopback-only without a token', async () => {
    const remote = await app.inject({ method: 'GET', url: '/admin/faults', remoteAddress: '10.1.2.3' });
    assert.equal(remote.statusCode, 403);
    assert.match(remote.json().message, /loopback-only.*LAB_ADMIN_TOKEN/);
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      assert.equal((await app.inject({ method: 'GET', url: '/admin/faults', remoteAddress: address })).statusCode, 200, address);
    }
    // The service itself is not admin: it answers anyone.
    assert.equal((await app.inject({ method: 'GET', url: '/api/ping', remoteAddress: '10.1.2.3' })).statusCode, 200);
  });

  test('with LAB_ADMIN_TOKEN set, the bearer token is required from anywhere', async () => {
    const secured = await build({ adminToken: 's3cret' });
    try {
      const none = await secured.inject({ method: 'GET', url: '/admin/faults' });
      assert.equal(none.statusCode, 401);
      assert.match(none.json().message, /Authorization: Bearer/);
      const wrong = await secured.inject({ method: 'PUT', url: '/admin/faults/blocking', headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.statusCode, 401);
      assert.equal((await secured.inject({ method: 'GET', url: '/admin/faults' })).json().faults, undefined);
      const ok = await secured.inject({
        method: 'PUT',
        url: '/admin/faults/blocking',
        remoteAddress: '10.1.2.3',
        headers: { authorization: 'Bearer s3cret' },
      });
      assert.equal(ok.statusCode, 200);
      // The page accepts the token once in the query (a browser navigation sends no header)...
      assert.equal((await secured.inject({ method: 'GET', url: '/admin?token=s3cret' })).statusCode, 200);
      assert.equal((await secured.inject({ method: 'GET', url: '/admin?token=nope' })).statusCode, 401);
      // ...but the API does not.
      assert.equal((await secured.inject({ method: 'GET', url: '/admin/faults?token=s3cret' })).statusCode, 401);
    } finally {
      await secured.close();
    }
  });

  test('blocking hits only its routes and its fraction of requests', async () => {
    const timed = async (url: string) => {
      const started = performance.now();
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200);
      return performance.now() - started;
    };
    await app.inject({ method: 'PUT', url: '/admin/faults/blocking', payload: { durationMs: 150, routes: ['ping'] } });
    assert.ok((await timed('/api/ping')) >= 145, 'ping blocks');
    assert.ok((await timed('/api/orders')) < 75, 'orders does not');
    await app.inject({ method: 'PUT', url: '/admin/faults/blocking', payload: { durationMs: 150, fraction: 0 } });
    assert.ok((await timed('/api/orders')) < 75, 'fraction 0 never blocks');
    await app.inject({ method: 'PUT', url: '/admin/faults/blocking', payload: { durationMs: 25, fraction: 0.5 } });
    let slow = 0;
    for (let i = 0; i < 40; i++) if ((await timed('/api/orders')) >= 22) slow++;
    // Binomial(40, 0.5): outside 8..32 with probability < 1e-4.
    assert.ok(slow >= 8 && slow <= 32, `${slow} of 40 requests blocked at fraction 0.5`);
    await app.inject({ method: 'DELETE', url: '/admin/faults' });
  });

  test('pool toggles reshape the report pool; larger-pool overrides the fault', async () => {
    const threads = async () => sumOf(await metrics(app), 'runtime_pool_threads', { pool: 'report' });
    assert.equal(await threads(), 2);
    await app.inject({ method: 'PUT', url: '/admin/faults/executor-saturation', payload: { threads: 1, taskMs: 5 } });
    // The old pool was idle, so it is gone at once; only the new one-thread pool remains.
    assert.equal(await threads(), 1);
    const report = await app.inject({ method: 'POST', url: '/api/report', payload: { rows: 10 } });
    assert.equal(report.statusCode, 200);
    assert.deepEqual(Object.keys(report.json().report).sort(), ['checksum', 'rows', 'taskMs']);
    assert.equal(report.json().report.taskMs, 5);
    await app.inject({ method: 'PUT', url: '/admin/faults/larger-pool', payload: { threads: 3 } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await threads(), 3);
    const invalid = await app.inject({ method: 'POST', url: '/api/report', payload: { rows: 'many' } });
    assert.equal(invalid.statusCode, 400);
    await app.inject({ method: 'DELETE', url: '/admin/faults' });
  });

  test('the exposition with every lab_* metric populated passes promtool check metrics', async () => {
    await app.inject({ method: 'PUT', url: '/admin/faults/blocking', payload: { fraction: 0 } });
    await app.inject({ method: 'POST', url: '/api/checkout' });
    const text = await app.telemetry.registry.metrics();
    for (const name of [
      'lab_fault_active',
      'lab_fault_parameter',
      'lab_checkout_backlog',
      'lab_checkout_shed_total',
      'lab_downstream_calls_total',
      'lab_downstream_retries_total',
      'lab_checkout_downstream_calls_bucket',
    ]) {
      assert.match(text, new RegExp(`^${name}`, 'm'), name);
    }
    // Default metrics are off in build(): prom-client's nodejs_active_*_total gauges are kept
    // under their usual names on purpose (telemetry's choice) and promtool flags their suffix.
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
    await app.inject({ method: 'DELETE', url: '/admin/faults' });
  });

  test('the routes of docs/services.md answer', async () => {
    for (const [method, url] of [
      ['GET', '/api/ping'],
      ['GET', '/api/orders'],
      ['POST', '/api/report'],
      ['GET', '/api/hash'],
      ['GET', '/api/config'],
      ['GET', '/health'],
      ['GET', '/admin'],
    ] as const) {
      const response = await app.inject({ method, url });
      assert.equal(response.statusCode, 200, `${method} ${url}: ${response.body.slice(0, 200)}`);
    }
    // No downstream in this test: a checkout fails with a 504 that says why.
    const checkout = await app.inject({ method: 'POST', url: '/api/checkout' });
    assert.equal(checkout.statusCode, 504);
    assert.match(checkout.json().message, /3 of 3 downstream calls failed/);
  });
});

test('queue-amplification sets downstream; DELETE /admin/faults restores it even from a restarted api', async () => {
  const downstream = Fastify({ logger: false });
  await downstream.register(downstreamPlugin, { telemetry: { watchdog: false, defaultMetrics: false, threadpoolCanary: false } });
  await downstream.listen({ port: 0, host: '127.0.0.1' });
  const address = downstream.server.address();
  const downstreamUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const settings = () => downstream.downstream.settings;
  // Everything started is closed in finally, even when a build() fails: a listening server left
  // behind once kept this file's process alive until the suite was killed.
  let first: FastifyInstance | undefined;
  let restarted: FastifyInstance | undefined;
  let firstClosed = false;
  try {
    first = await build({ downstreamUrl });
    restarted = await build({ downstreamUrl });
    const put = await first.inject({
      method: 'PUT',
      url: '/admin/faults/queue-amplification',
      payload: { downstreamLatencyMs: 321, downstreamConcurrency: 3 },
    });
    assert.deepEqual(put.json().warnings, []);
    assert.equal(settings().latencyMs, 321);
    assert.equal(settings().concurrency, 3);
    // The first api "crashed" with the fault on; a new one knows nothing about it.
    await first.close();
    firstClosed = true;
    const reset = await restarted.inject({ method: 'DELETE', url: '/admin/faults' });
    assert.deepEqual(reset.json().warnings, []);
    assert.equal(settings().latencyMs, 20);
    assert.equal(settings().concurrency, 16);
  } finally {
    if (!firstClosed) await first?.close();
    await restarted?.close();
    await downstream.close();
  }
});
