import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { parseExposition, sumOf } from '@runtime-lab/scrape';
import Fastify, { type FastifyInstance } from 'fastify';
import downstream from '../src/app.js';
import { DEADLINE_HEADER, MAX_DEADLINE_MS } from '@runtime-lab/service-kit';
import { Limiter } from '../src/limiter.js';
import { sampleLatencyMs } from '../src/latency.js';

async function start(settings: Record<string, number>, adminToken?: string): Promise<{ app: FastifyInstance; base: string }> {
  const app = Fastify({ logger: false });
  await app.register(downstream, { settings, adminToken, telemetry: { watchdog: false, defaultMetrics: false, threadpoolCanary: false } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return { app, base: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

interface Call {
  done: Promise<{ status: number; body: string; ms: number }>;
  /** Hangs up (as a client that gave up would). */
  hangUp(): void;
}

function call(url: string, headers: Record<string, string> = {}): Call {
  const started = performance.now();
  let req: ReturnType<typeof request> | undefined;
  const done = new Promise<{ status: number; body: string; ms: number }>((resolve) => {
    req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }));
    });
    req.on('error', () => resolve({ status: 0, body: '', ms: performance.now() - started }));
    req.end();
  });
  return { done, hangUp: () => req?.destroy() };
}

const get = (url: string, headers: Record<string, string> = {}) => call(url, headers).done;

/** Polls until check() holds: timing on a shared machine is never assumed, only observed. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 3000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > end) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function gauge(app: FastifyInstance, name: string, labels?: Record<string, string>): Promise<number | undefined> {
  return sumOf(parseExposition(await app.telemetry.registry.metrics()), name, labels);
}

describe('Limiter', () => {
  test('grants in FIFO order up to the limit; an aborted waiter leaves the queue', async () => {
    const limiter = new Limiter(1);
    const first = await limiter.acquire();
    const order: string[] = [];
    const second = limiter.acquire().then((release) => {
      order.push('second');
      return release;
    });
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal).catch(() => order.push('aborted'));
    const third = limiter.acquire().then((release) => {
      order.push('third');
      return release;
    });
    assert.equal(limiter.waiting, 3);
    controller.abort('gone');
    await aborted;
    assert.equal(limiter.waiting, 2);
    first();
    (await second)();
    (await third)();
    assert.deepEqual(order, ['aborted', 'second', 'third']);
    assert.equal(limiter.inflight, 0);
  });

  test('raising the limit admits waiters at once', async () => {
    const limiter = new Limiter(1);
    await limiter.acquire();
    const waiting = limiter.acquire();
    limiter.concurrency = 2;
    await waiting;
    assert.equal(limiter.inflight, 2);
  });
});

test('latency is log-normal around the median', () => {
  const samples = Array.from({ length: 4000 }, () => sampleLatencyMs(100, 0.25)).sort((a, b) => a - b);
  const median = samples[2000] as number;
  const p99 = samples[3960] as number;
  assert.ok(median > 90 && median < 110, `median ${median}`);
  assert.ok(p99 > 150 && p99 < 220, `p99 ${p99} (expected ≈ 1.8 × median)`);
  assert.equal(sampleLatencyMs(100, 0), 100);
});

describe('downstream over real HTTP', () => {
  let app: FastifyInstance;
  let base: string;
  before(async () => {
    ({ app, base } = await start({ latencyMs: 150, latencySigma: 0, concurrency: 2 }));
  });
  after(async () => {
    await app.close();
  });

  test('requests beyond the concurrency limit wait, and the gauges show it', async () => {
    const calls = Array.from({ length: 6 }, () => get(`${base}/api/work`));
    await until(async () => (await gauge(app, 'lab_downstream_waiting')) === 4, 'four requests waiting');
    assert.equal(await gauge(app, 'lab_downstream_inflight'), 2, 'two served at once, no more');
    const results = await Promise.all(calls);
    assert.ok(results.every((r) => r.status === 200));
    const times = results.map((r) => r.ms).sort((a, b) => a - b);
    // Three waves of two: ~150, ~300, ~450 ms.
    assert.ok((times[5] as number) >= 420, `last request took ${times[5]} ms`);
    assert.ok((times[0] as number) < 300, `first request took ${times[0]} ms`);
    assert.equal(await gauge(app, 'lab_downstream_waiting'), 0);
  });

  test('with a deadline, a request that expires while waiting is dropped; without one it is served', async () => {
    const blockers = [get(`${base}/api/work`), get(`${base}/api/work`)];
    await until(async () => (await gauge(app, 'lab_downstream_inflight')) === 2, 'both slots taken');
    const dropped = await get(`${base}/api/work`, { [DEADLINE_HEADER]: '50' });
    assert.equal(dropped.status, 504);
    assert.match(dropped.body, /dropped: deadline/);
    assert.ok(dropped.ms < 140, `dropped after ${dropped.ms} ms, before a slot came free`);
    const patient = await get(`${base}/api/work`);
    assert.equal(patient.status, 200);
    await Promise.all(blockers);
    assert.equal(await gauge(app, 'lab_downstream_dropped_total', { reason: 'deadline' }), 1);
    const bad = await get(`${base}/api/work`, { [DEADLINE_HEADER]: 'soon' });
    assert.equal(bad.status, 400);
  });

  test('X-Deadline-Ms beyond what a timer can wait is a 400 naming the header and the range; the maximum itself is served', async () => {
    const range = `from 0 to ${MAX_DEADLINE_MS}`;
    for (const raw of [String(MAX_DEADLINE_MS + 1), '99999999999999999999', '-5', '1.5', 'soon']) {
      const bad = await get(`${base}/api/work`, { [DEADLINE_HEADER]: raw });
      assert.equal(bad.status, 400, raw);
      assert.equal(JSON.parse(bad.body).error, 'LAB_INVALID_DEADLINE');
      assert.ok(JSON.parse(bad.body).message.includes(`x-deadline-ms must be a whole number of milliseconds ${range}, got "${raw}"`), bad.body);
    }
    // Before the bound, 2^31 ms overflowed setTimeout, which then fired after 1 ms: dropped as "deadline".
    const longest = await get(`${base}/api/work`, { [DEADLINE_HEADER]: String(MAX_DEADLINE_MS) });
    assert.equal(longest.status, 200, longest.body);
    const zero = await get(`${base}/api/work`, { [DEADLINE_HEADER]: '0' });
    assert.equal(zero.status, 504, 'a spent budget is dropped');
  });

  test('with a deadline, a caller that hangs up frees its slot; without one the slot stays busy', async () => {
    const inflight = () => gauge(app, 'lab_downstream_inflight');
    // Long requests, so "still busy" and "freed at once" are far apart even on a loaded machine.
    await app.inject({ method: 'PUT', url: '/admin/config', payload: { latencyMs: 800, latencySigma: 0, concurrency: 2 } });
    // Naive: the client hangs up, the request still holds its slot for the whole 800 ms.
    const naive = call(`${base}/api/work`);
    await until(async () => (await inflight()) === 1, 'naive request in a slot');
    const hungUpAt = performance.now();
    naive.hangUp();
    await until(async () => (await inflight()) === 0, 'naive request done', 3000);
    const naiveBusyMs = performance.now() - hungUpAt;
    assert.ok(naiveBusyMs >= 300, `the slot stayed busy after the caller left (${Math.round(naiveBusyMs)} ms)`);
    // Deadline-aware: the slot is given back as soon as the caller hangs up.
    const aware = call(`${base}/api/work`, { [DEADLINE_HEADER]: '5000' });
    await until(async () => (await inflight()) === 1, 'deadline-aware request in a slot');
    const awareHungUpAt = performance.now();
    aware.hangUp();
    await until(async () => (await inflight()) === 0, 'slot freed on hang-up', 3000);
    const awareBusyMs = performance.now() - awareHungUpAt;
    assert.ok(awareBusyMs < naiveBusyMs / 2, `freed after ${Math.round(awareBusyMs)} ms vs ${Math.round(naiveBusyMs)} ms`);
    await app.inject({ method: 'DELETE', url: '/admin/config' });
    assert.equal(await gauge(app, 'lab_downstream_dropped_total', { reason: 'disconnected' }), 1);
  });

  test('admin config: validated, applied at once, reset by DELETE', async () => {
    const put = (body: unknown) => app.inject({ method: 'PUT', url: '/admin/config', payload: body as object });
    const bad = await put({ concurrency: 0 });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().message, /concurrency: expected an integer from 1 to 1024/);
    assert.match((await put({ nope: 1 })).json().message, /"nope" is not a setting; allowed: latencyMs, latencySigma, concurrency/);
    assert.equal((await put([1])).statusCode, 400);
    const ok = await put({ latencyMs: 5, concurrency: 8 });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json().settings, { latencyMs: 5, latencySigma: 0, concurrency: 8 });
    assert.equal((await get(`${base}/api/work`)).status, 200);
    const reset = await app.inject({ method: 'DELETE', url: '/admin/config' });
    assert.deepEqual(reset.json().settings, { latencyMs: 150, latencySigma: 0, concurrency: 2 });
    assert.equal((await app.inject({ method: 'GET', url: '/admin/config', remoteAddress: '10.0.0.9' })).statusCode, 403);
  });

  test('admin config needs the bearer token when LAB_ADMIN_TOKEN is set', async () => {
    const secured = await start({}, 'tok');
    try {
      assert.equal((await secured.app.inject({ method: 'GET', url: '/admin/config' })).statusCode, 401);
      const ok = await secured.app.inject({ method: 'GET', url: '/admin/config', headers: { authorization: 'Bearer tok' }, remoteAddress: '10.0.0.9' });
      assert.equal(ok.statusCode, 200);
    } finally {
      await secured.app.close();
    }
  });
});
