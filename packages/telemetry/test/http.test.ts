import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import telemetry, { parseRequestStart, UNMATCHED_ROUTE } from '../src/index.js';
import { bucketsOf, parseExposition, sumOf, type Families } from '@runtime-lab/scrape';
import { blockFor, startPoller } from './helpers.js';

let app: FastifyInstance;
let url: string;
let release: (() => void) | undefined;

before(async () => {
  app = Fastify();
  await app.register(telemetry, { watchdog: false, threadpoolCanary: false, defaultMetrics: false });
  app.get('/users/:id', async () => ({ ok: true }));
  app.get('/fail', async () => {
    throw new Error('boom');
  });
  app.get('/hold', () => new Promise((resolve) => (release = () => resolve({ held: true }))));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  url = `http://127.0.0.1:${address.port}`;
});

after(() => app.close());

async function families(): Promise<Families> {
  return parseExposition(await app.telemetry.registry.metrics());
}

test('latency is labelled by route pattern and status class; unmatched URLs share one label', async () => {
  for (const id of ['1', '2', '3']) assert.equal((await fetch(`${url}/users/${id}`)).status, 200);
  assert.equal((await fetch(`${url}/fail`)).status, 500);
  assert.equal((await fetch(`${url}/random/abc`)).status, 404);
  assert.equal((await fetch(`${url}/random/def`)).status, 404);
  const f = await families();
  const count = (labels: Record<string, string>) => sumOf(f, 'runtime_http_request_duration_seconds_count', labels);
  assert.equal(count({ method: 'GET', route: '/users/:id', status_class: '2xx' }), 3);
  assert.equal(count({ route: '/fail', status_class: '5xx' }), 1);
  assert.equal(count({ route: UNMATCHED_ROUTE, status_class: '4xx' }), 2);
  const routes = new Set(f.get('runtime_http_request_duration_seconds')?.samples.map((s) => s.labels.route));
  assert.deepEqual([...routes].sort(), ['/fail', '/users/:id', UNMATCHED_ROUTE].sort(), 'no raw URL became a label');
});

test('in-flight requests count requests received and not yet answered', async () => {
  const pending = fetch(`${url}/hold`);
  while (!release) await new Promise((r) => setTimeout(r, 5));
  assert.equal(sumOf(await families(), 'runtime_http_requests_inflight'), 1);
  release();
  release = undefined;
  assert.equal((await pending).status, 200);
  // onResponse runs after the response is flushed; give it a turn.
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(sumOf(await families(), 'runtime_http_requests_inflight'), 0);
});

test('a request the client aborts does not stay in flight', async () => {
  const controller = new AbortController();
  const pending = fetch(`${url}/hold`, { signal: controller.signal }).catch((error: Error) => error);
  while (!release) await new Promise((r) => setTimeout(r, 5));
  assert.equal(sumOf(await families(), 'runtime_http_requests_inflight'), 1);
  controller.abort();
  assert.ok((await pending) instanceof Error);
  await new Promise((r) => setTimeout(r, 20));
  // The handler has not even finished, yet the request is gone: nobody is waiting for it.
  assert.equal(sumOf(await families(), 'runtime_http_requests_inflight'), 0);
  release();
  release = undefined;
});

test('a request that waited for a blocked loop: server-side duration misses it, queue time shows it', async () => {
  const blockMs = 500;
  const before = await families();
  const countBefore = sumOf(before, 'runtime_http_queue_time_seconds_count', { route: '/users/:id' }) ?? 0;
  // The client (its own thread) stamps X-Request-Start and sends while this loop is blocked.
  const client = await startPoller({ url: `${url}/users/42`, count: 1, intervalMs: 1, startDelayMs: 50, stampRequestStart: true });
  client.go();
  blockFor(blockMs);
  const [result] = await client.results;
  assert.equal(result?.status, 200);
  const clientMs = result?.latencyMs ?? 0;

  const f = await families();
  const queueCount = (sumOf(f, 'runtime_http_queue_time_seconds_count', { route: '/users/:id' }) ?? 0) - countBefore;
  assert.equal(queueCount, 1);
  const queueSeconds =
    (sumOf(f, 'runtime_http_queue_time_seconds_sum', { route: '/users/:id' }) ?? 0) -
    (sumOf(before, 'runtime_http_queue_time_seconds_sum', { route: '/users/:id' }) ?? 0);
  const serverBuckets = bucketsOf(f, 'runtime_http_request_duration_seconds', { route: '/users/:id' });
  const serverSlow = (serverBuckets.at(-1)?.count ?? 0) - (serverBuckets.find((b) => b.le === 0.1)?.count ?? 0);
  // The client waited most of the block; the server-side histogram saw a fast request.
  assert.ok(clientMs > blockMs * 0.6, `client latency ${clientMs.toFixed(0)} ms should include the stall`);
  assert.equal(serverSlow, 0, 'server-side duration does not include the time spent waiting for the loop');
  assert.ok(queueSeconds * 1000 > clientMs * 0.5, `queue time ${(queueSeconds * 1000).toFixed(0)} ms vs client ${clientMs.toFixed(0)} ms`);
  assert.ok(queueSeconds * 1000 <= clientMs + 50, 'queue time cannot exceed what the client measured');
});

test('X-Request-Start: seconds, milliseconds, microseconds, t= prefix; garbage is ignored', () => {
  const ms = 1_700_000_000_123;
  assert.equal(parseRequestStart(String(ms)), ms);
  assert.equal(parseRequestStart(`t=${ms}`), ms);
  assert.equal(parseRequestStart('t=1700000000.123'), 1_700_000_000_123);
  assert.equal(parseRequestStart(`t=${ms * 1000}`), ms);
  for (const bad of [undefined, '', 'abc', 't=', '-5', '12345', 't=1e12', ['1', '2']]) {
    assert.equal(parseRequestStart(bad as string | undefined), undefined, `should ignore ${JSON.stringify(bad)}`);
  }
});

test('a client clock ahead of the server gives queue time 0, not a negative value', async () => {
  const f0 = await families();
  const sum0 = sumOf(f0, 'runtime_http_queue_time_seconds_sum', { route: '/users/:id' }) ?? 0;
  const count0 = sumOf(f0, 'runtime_http_queue_time_seconds_count', { route: '/users/:id' }) ?? 0;
  await fetch(`${url}/users/1`, { headers: { 'x-request-start': String(Date.now() + 60_000) } });
  await fetch(`${url}/users/1`, { headers: { 'x-request-start': 'not-a-time' } });
  const f1 = await families();
  assert.equal((sumOf(f1, 'runtime_http_queue_time_seconds_count', { route: '/users/:id' }) ?? 0) - count0, 1);
  assert.equal((sumOf(f1, 'runtime_http_queue_time_seconds_sum', { route: '/users/:id' }) ?? 0) - sum0, 0);
});

test('inject() is not measured and leaves nothing in flight; another app in the process is not counted here', async () => {
  const f0 = await families();
  const total = (f: Families) => sumOf(f, 'runtime_http_request_duration_seconds_count') ?? 0;
  assert.equal((await app.inject('/users/7')).statusCode, 200);
  // A second app with its own plugin and registry: Node's HTTP channels are process-wide.
  const other = Fastify();
  await other.register(telemetry, { watchdog: false, threadpoolCanary: false, defaultMetrics: false });
  other.get('/other', async () => 'other');
  await other.listen({ port: 0, host: '127.0.0.1' });
  try {
    const address = other.server.address();
    assert.ok(address && typeof address === 'object');
    assert.equal((await fetch(`http://127.0.0.1:${address.port}/other`)).status, 200);
    await new Promise((r) => setTimeout(r, 20));
    const otherFamilies = parseExposition(await other.telemetry.registry.metrics());
    assert.equal(sumOf(otherFamilies, 'runtime_http_request_duration_seconds_count', { route: '/other', status_class: '2xx' }), 1);
  } finally {
    await other.close();
  }
  // Still measured after the other app closed (closing one app must not unsubscribe the other).
  assert.equal((await fetch(`${url}/users/8`)).status, 200);
  await new Promise((r) => setTimeout(r, 20));
  const f1 = await families();
  assert.equal(total(f1) - total(f0), 1, 'only the real HTTP request to this app is counted');
  assert.equal(sumOf(f1, 'runtime_http_requests_inflight'), 0);
});
