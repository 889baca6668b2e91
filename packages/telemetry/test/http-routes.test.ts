// The route label of runtime_http_request_duration_seconds is resolved without reading
// request.routeOptions on every request (http.ts): each route registered after the plugin gets
// its own onRequest hook, and everything that hook does not see is labelled at the end. These
// are the cases that split could get wrong; each expected label is what Fastify itself gives as
// request.routeOptions.url (the previous design's label), checked here against a handler that
// echoes it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { parseExposition, sumOf } from '@runtime-lab/scrape';
import telemetry, { UNMATCHED_ROUTE } from '../src/index.js';

let app: FastifyInstance;
let url: string;

const echoRoute = async (request: { routeOptions: { url?: string } }) => ({ route: request.routeOptions.url });

before(async () => {
  app = Fastify();
  // Registered before the plugin: no onRoute hook sees these.
  app.get('/early/:id', echoRoute);
  await app.register(async (child) => {
    child.get('/before', echoRoute);
  });
  await app.register(telemetry, { watchdog: false, threadpoolCanary: false, defaultMetrics: false });
  app.get('/users/:id', echoRoute);
  // A plugin under a prefix: '/' in it answers both /v1 and /v1/ (Fastify's prefixTrailingSlash 'both').
  await app.register(
    async (child) => {
      child.get('/', echoRoute);
      child.get('/items/:itemId', echoRoute);
    },
    { prefix: '/v1' },
  );
  // The route's own onRequest hooks (an array Fastify shares with the HEAD route it derives).
  const ownHooks = [
    (request: { headers: Record<string, unknown> }, reply: { code(n: number): { send(b: unknown): void } }, done: () => void) => {
      if (request.headers['x-deny'] !== undefined) reply.code(403).send({ denied: true });
      else done();
    },
  ];
  app.get('/guarded/:id', { onRequest: ownHooks }, echoRoute);
  // An app-wide hook added after the plugin that answers early (auth, rate limiting, load shedding).
  await app.register(async (child) => {
    child.addHook('onRequest', (request, reply, done) => {
      if (request.headers.authorization === undefined) reply.code(401).send({ error: 'no token' });
      else done();
    });
    child.get('/private/:id', echoRoute);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  url = `http://127.0.0.1:${address.port}`;
  // A route added after the app is listening is refused by Fastify; after ready() there are no new routes.
});

after(() => app.close());

async function counts(): Promise<Map<string, number>> {
  const families = parseExposition(await app.telemetry.registry.metrics());
  const out = new Map<string, number>();
  for (const s of families.get('runtime_http_request_duration_seconds')?.samples ?? []) {
    if (!s.name.endsWith('_count')) continue;
    const key = `${s.labels.method} ${s.labels.route} ${s.labels.status_class}`;
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

async function delta(requests: () => Promise<void>): Promise<Record<string, number>> {
  const before = await counts();
  await requests();
  // The end of a request comes from 'http.server.response.finish': give it a turn.
  await new Promise((r) => setTimeout(r, 20));
  const out: Record<string, number> = {};
  for (const [key, n] of await counts()) if (n !== (before.get(key) ?? 0)) out[key] = n - (before.get(key) ?? 0);
  return out;
}

async function get(path: string, init: RequestInit = {}): Promise<{ status: number; route?: string }> {
  const response = await fetch(`${url}${path}`, init);
  const text = await response.text();
  return { status: response.status, route: text.startsWith('{"route"') ? (JSON.parse(text) as { route: string }).route : undefined };
}

test('routes with parameters and routes under a prefix get their pattern, the same as routeOptions.url', async () => {
  const seen: string[] = [];
  const d = await delta(async () => {
    for (const path of ['/users/1', '/users/2', '/v1', '/v1/', '/v1/items/9']) {
      const r = await get(path);
      assert.equal(r.status, 200, path);
      seen.push(r.route ?? '');
    }
  });
  assert.deepEqual(seen, ['/users/:id', '/users/:id', '/v1', '/v1', '/v1/items/:itemId'], "Fastify's own labels");
  assert.deepEqual(d, { 'GET /users/:id 2xx': 2, 'GET /v1 2xx': 2, 'GET /v1/items/:itemId 2xx': 1 });
});

test('routes registered before the plugin, in the root and in a child context, are labelled too', async () => {
  const d = await delta(async () => {
    assert.equal((await get('/early/5')).route, '/early/:id');
    assert.equal((await get('/before')).route, '/before');
  });
  assert.deepEqual(d, { 'GET /early/:id 2xx': 1, 'GET /before 2xx': 1 });
});

test('HEAD routes Fastify derives from GET routes are labelled with the pattern, once per request', async () => {
  const d = await delta(async () => {
    for (const path of ['/users/3', '/v1/items/4', '/guarded/5', '/early/6']) {
      assert.equal((await fetch(`${url}${path}`, { method: 'HEAD' })).status, 200, path);
    }
  });
  assert.deepEqual(d, {
    'HEAD /users/:id 2xx': 1,
    'HEAD /v1/items/:itemId 2xx': 1,
    'HEAD /guarded/:id 2xx': 1,
    'HEAD /early/:id 2xx': 1,
  });
});

test('requests answered before the handler keep their route: by the route’s own hook, by an app-wide hook', async () => {
  const d = await delta(async () => {
    assert.equal((await get('/guarded/1', { headers: { 'x-deny': '1' } })).status, 403);
    assert.equal((await get('/guarded/2')).status, 200);
    assert.equal((await get('/private/1')).status, 401);
    assert.equal((await get('/private/2', { headers: { authorization: 'Bearer x' } })).route, '/private/:id');
  });
  assert.deepEqual(d, {
    'GET /guarded/:id 4xx': 1,
    'GET /guarded/:id 2xx': 1,
    'GET /private/:id 4xx': 1,
    'GET /private/:id 2xx': 1,
  });
});

test('unmatched URLs, under a prefix or not, share one label; queue time follows the same labels', async () => {
  const queue = async (route: string) =>
    sumOf(parseExposition(await app.telemetry.registry.metrics()), 'runtime_http_queue_time_seconds_count', { route }) ?? 0;
  const [unmatched0, private0, users0] = [await queue(UNMATCHED_ROUTE), await queue('/private/:id'), await queue('/users/:id')];
  const stamp = { 'x-request-start': String(Date.now()) };
  const d = await delta(async () => {
    assert.equal((await get('/nope/1', { headers: stamp })).status, 404);
    assert.equal((await get('/v1/nope')).status, 404);
    assert.equal((await get('/private/3', { headers: stamp })).status, 401);
    assert.equal((await get('/users/4', { headers: stamp })).status, 200);
  });
  assert.deepEqual(d, { [`GET ${UNMATCHED_ROUTE} 4xx`]: 2, 'GET /private/:id 4xx': 1, 'GET /users/:id 2xx': 1 });
  assert.equal((await queue(UNMATCHED_ROUTE)) - unmatched0, 1);
  assert.equal((await queue('/private/:id')) - private0, 1);
  assert.equal((await queue('/users/:id')) - users0, 1);
});
