// Input-triggered faults on real HTTP against the api as a child process (its own loop, so the
// client's clock is never the one blocked): the fault fires only on requests carrying the input.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sumOf } from '@runtime-lab/scrape';
import {
  freshSnapshot,
  increase,
  lab as labCli,
  type Lab,
  resetToggles,
  send,
  sendJson,
  setToggles,
  startLab,
} from '@runtime-lab/test-kit';
import type { FastifyInstance } from 'fastify';
import { build } from './helper.js';

let lab: Lab;
let app: FastifyInstance;
before(async () => {
  lab = await startLab();
  app = await build();
});
after(async () => {
  await app?.close();
  await lab?.stop();
});

async function timed(url: string, options: Parameters<typeof send>[1] = {}): Promise<number> {
  const started = performance.now();
  const response = await send(url, options);
  assert.equal(response.status, 200, `${url}: ${response.body}`);
  return performance.now() - started;
}

/** Sends `request`, then a ping 60 ms later: how long the request took and how long the ping waited. */
async function stallBehind(request: () => Promise<number>): Promise<{ requestMs: number; pingMs: number }> {
  const first = request();
  await new Promise((resolve) => setTimeout(resolve, 60));
  const pingMs = await timed(`${lab.api.url}/api/ping`);
  return { requestMs: Math.round(await first), pingMs: Math.round(pingMs) };
}

function report(customer: string): Promise<number> {
  return timed(`${lab.api.url}/api/report`, { method: 'POST', body: JSON.stringify({ rows: 10, customer }) });
}

function triggerCount(metrics: string, source: string, outcome: string): number {
  const line = metrics
    .split('\n')
    .find(
      (l) => l.startsWith('lab_fault_trigger_requests_total{') && l.includes(`source="${source}"`) && l.includes(`outcome="${outcome}"`),
    );
  return line ? Number(line.split(' ').at(-1)) : 0;
}

test('regex blocking with a body trigger stalls the loop only for the matching customer; metrics count without the value', async () => {
  await setToggles(lab.api.url, { blocking: { mode: 'regex', durationMs: 400, routes: ['report'], trigger: 'body:customer=acme' } });
  const other = await stallBehind(() => report('globex'));
  const acme = await stallBehind(() => report('acme'));
  const otherAgain = await stallBehind(() => report('acme-corp'));
  // The watchdog serves the registry's last snapshot: wait for one taken after the requests.
  let metrics = '';
  for (let tries = 0; tries < 50; tries++) {
    metrics = (await send(lab.api.metricsUrl)).body;
    if (triggerCount(metrics, 'body', 'matched') + triggerCount(metrics, 'body', 'unmatched') >= 3) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const view = (await sendJson<{ faults: { name: string; params: Record<string, unknown> }[] }>(`${lab.api.url}/admin/faults`, 'GET')).json
    .faults;
  await resetToggles(lab.api.url);
  const figures = JSON.stringify({ other, acme, otherAgain });

  assert.equal(view.find((f) => f.name === 'blocking')?.params.trigger, 'body:customer=acme', 'GET /admin/faults shows the trigger');
  assert.ok(acme.requestMs >= 350, `the matching request did its ~400 ms of regex: ${figures}`);
  assert.ok(acme.pingMs >= 250, `the matching request stalled the loop for a concurrent ping: ${figures}`);
  for (const miss of [other, otherAgain]) {
    assert.ok(miss.pingMs <= acme.pingMs / 3, `a non-matching customer leaves the loop free: ${figures}`);
    assert.ok(miss.requestMs <= acme.requestMs / 3, `a non-matching request does no regex work: ${figures}`);
  }
  assert.equal(triggerCount(metrics, 'body', 'matched'), 1, metrics);
  assert.equal(triggerCount(metrics, 'body', 'unmatched'), 2, metrics);
  assert.ok(!metrics.includes('acme'), 'the trigger value never reaches a label');
});

test('header and query triggers match case-insensitive header names and exact query values', async () => {
  await setToggles(lab.api.url, { blocking: { mode: 'cpu', durationMs: 300, routes: ['orders'], trigger: 'header:X-Tenant=blue' } });
  const header = await timed(`${lab.api.url}/api/orders`, { headers: { 'x-tenant': 'blue' } });
  const headerMiss = await timed(`${lab.api.url}/api/orders`, { headers: { 'x-tenant': 'Blue' } });
  await setToggles(lab.api.url, { blocking: { mode: 'cpu', durationMs: 300, routes: ['orders'], trigger: 'query:id=42' } });
  const query = await timed(`${lab.api.url}/api/orders?id=42`);
  const queryMiss = await timed(`${lab.api.url}/api/orders?id=420`);
  await resetToggles(lab.api.url);
  const figures = JSON.stringify({ header, headerMiss, query, queryMiss });
  assert.ok(header >= 280 && query >= 280, `matching requests did the work: ${figures}`);
  assert.ok(headerMiss < 100 && queryMiss < 100, `non-matching requests did not: ${figures}`);
});

test('a malformed trigger is a 400 naming the field and the allowed form, and nothing changes', async () => {
  const ok = await app.inject({ method: 'PUT', url: '/admin/faults/blocking', payload: { mode: 'cpu', trigger: 'query:id=7' } });
  assert.equal(ok.statusCode, 200, ok.body);
  const before = (await app.inject({ method: 'GET', url: '/admin/faults' })).json().faults;
  const bad = [
    'cookie:id=1',
    'body:=1',
    'header:x-a',
    `body:${'n'.repeat(65)}=1`,
    `body:customer=${'v'.repeat(257)}`,
    'body:customer=a\nb',
    'body:cust omer=1',
    42,
  ];
  for (const trigger of bad) {
    const response = await app.inject({ method: 'PUT', url: '/admin/faults/blocking', payload: { mode: 'sleep', trigger } });
    assert.equal(response.statusCode, 400, `${JSON.stringify(trigger)}: ${response.body}`);
    const message: string = response.json().message;
    assert.match(
      message,
      /trigger: expected "" \(no trigger\) or "<source>:<name>=<value>" with source one of header, query, body/,
      message,
    );
    assert.ok(message.length < 600, `the message stays short for a long value: ${message.length}`);
  }
  const afterRefusals = (await app.inject({ method: 'GET', url: '/admin/faults' })).json().faults;
  for (const f of [...before, ...afterRefusals]) f.remainingSeconds = null;
  assert.deepEqual(afterRefusals, before, 'refused PUTs changed nothing');
  await app.inject({ method: 'DELETE', url: '/admin/faults' });
});

test('`lab fault set` accepts a trigger and the api applies it', async () => {
  const set = await labCli([
    'fault',
    'set',
    'blocking',
    'mode=sleep',
    'durationMs=250',
    'routes=orders',
    'trigger=header:x-customer=a=b',
    '--api',
    lab.api.url,
  ]);
  assert.equal(set.code, 0, set.stderr);
  const listed = await labCli(['fault', 'list', '--api', lab.api.url]);
  const hit = await timed(`${lab.api.url}/api/orders`, { headers: { 'x-customer': 'a=b' } });
  const miss = await timed(`${lab.api.url}/api/orders`);
  const refused = await labCli(['fault', 'set', 'blocking', 'trigger=path:x=1', '--api', lab.api.url]);
  const other = await labCli(['fault', 'set', 'executor-saturation', 'taskMs=300', 'trigger=query:tenant=acme', '--api', lab.api.url]);
  const otherListed = await labCli(['fault', 'list', '--api', lab.api.url]);
  const noBody = await labCli(['fault', 'set', 'threadpool-saturation', 'trigger=body:tenant=acme', '--api', lab.api.url]);
  await resetToggles(lab.api.url);
  assert.equal(other.code, 0, other.stderr);
  assert.match(otherListed.stdout, /"trigger":"query:tenant=acme"/, otherListed.stdout);
  assert.notEqual(noBody.code, 0);
  assert.match(noBody.stderr, /source "body" is not one of header, query/, noBody.stderr);
  assert.match(listed.stdout, /"trigger":"header:x-customer=a=b"/, listed.stdout);
  assert.ok(hit >= 220 && miss < 100, `only the request with the header slept: ${hit} vs ${miss} ms`);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /trigger: expected/, refused.stderr);
});

/** The trigger counter's value for one fault, source and outcome, in a parsed snapshot. */
function counted(families: Awaited<ReturnType<typeof freshSnapshot>>, fault: string, source: string, outcome: string): number {
  return sumOf(families, 'lab_fault_trigger_requests_total', { fault, source, outcome }) ?? 0;
}

test('executor-saturation with a body trigger makes only the matching report task long (pool run time measured in the worker)', async () => {
  await setToggles(lab.api.url, { 'executor-saturation': { threads: 1, taskMs: 600, trigger: 'body:customer=acme' } });
  // The fault replaced the pool: its first task would also wait for the new worker thread to start.
  await report('warm-up');
  const run = { pool: 'report' };
  const before = await freshSnapshot(lab.api.metricsUrl);
  const other = await report('globex');
  const middle = await freshSnapshot(lab.api.metricsUrl);
  const acme = await report('acme');
  const after = await freshSnapshot(lab.api.metricsUrl);
  await resetToggles(lab.api.url);
  const figures = JSON.stringify({
    otherMs: Math.round(other),
    acmeMs: Math.round(acme),
    otherRunSeconds: increase(before, middle, 'runtime_pool_run_seconds_sum', run),
    acmeRunSeconds: increase(middle, after, 'runtime_pool_run_seconds_sum', run),
  });
  assert.ok(
    increase(middle, after, 'runtime_pool_run_seconds_sum', run) >= 0.5,
    `the matching task burned ~600 ms in the worker: ${figures}`,
  );
  assert.ok(increase(before, middle, 'runtime_pool_run_seconds_sum', run) < 0.2, `the other task was the healthy one: ${figures}`);
  assert.ok(acme >= 550 && other <= acme / 2, `client-side: ${figures}`);
  assert.equal(counted(after, 'executor-saturation', 'body', 'matched'), 1);
  assert.equal(counted(after, 'executor-saturation', 'body', 'unmatched'), 2, 'the warm-up and globex');
});

test('threadpool-saturation with a header trigger submits the heavy jobs only for the matching tenant; /api/config suffers only then', async () => {
  await setToggles(lab.api.url, {
    'threadpool-saturation': { jobsPerRequest: 8, iterations: 100_000, concurrency: 8, trigger: 'header:x-tenant=acme' },
  });
  const hashRoute = { route: '/api/hash' };
  /** A hash request and, 30 ms later, a config read: the hash's answer and the config read's time. */
  async function hashWithVictim(tenant: string) {
    const hash = sendJson<{ jobs: number; iterations: number }>(`${lab.api.url}/api/hash`, 'GET', undefined, { 'x-tenant': tenant });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const configMs = await timed(`${lab.api.url}/api/config`);
    return { answer: (await hash).json, configMs: Math.round(configMs) };
  }
  const before = await freshSnapshot(lab.api.metricsUrl);
  const other = await hashWithVictim('globex');
  const middle = await freshSnapshot(lab.api.metricsUrl);
  const acme = await hashWithVictim('acme');
  const after = await freshSnapshot(lab.api.metricsUrl);
  await resetToggles(lab.api.url);
  const otherServerSeconds = increase(before, middle, 'runtime_http_request_duration_seconds_sum', hashRoute);
  const acmeServerSeconds = increase(middle, after, 'runtime_http_request_duration_seconds_sum', hashRoute);
  const figures = JSON.stringify({ other, acme, otherServerSeconds, acmeServerSeconds });
  assert.deepEqual(
    other.answer && { jobs: other.answer.jobs, iterations: other.answer.iterations },
    { jobs: 1, iterations: 1000 },
    figures,
  );
  assert.deepEqual(
    acme.answer && { jobs: acme.answer.jobs, iterations: acme.answer.iterations },
    { jobs: 8, iterations: 100_000 },
    figures,
  );
  assert.ok(acmeServerSeconds >= 5 * otherServerSeconds && acmeServerSeconds > 0.1, `server-side /api/hash time: ${figures}`);
  assert.ok(acme.configMs >= 3 * other.configMs, `the victim queued behind the matching request's jobs only: ${figures}`);
  assert.equal(counted(after, 'threadpool-saturation', 'header', 'matched'), 1);
  assert.equal(counted(after, 'threadpool-saturation', 'header', 'unmatched'), 1);
});

test('queue-amplification with a body trigger fans out only the matching checkout (calls counted by downstream itself)', async () => {
  await setToggles(lab.api.url, {
    'queue-amplification': {
      fanOut: 7,
      downstreamLatencyMs: 20,
      downstreamConcurrency: 8,
      timeoutMs: 5000,
      retries: 0,
      trigger: 'body:cart=huge',
    },
  });
  const work = { route: '/api/work' };
  async function checkout(cart: string) {
    const response = await sendJson<{ checkout: { calls: number } }>(`${lab.api.url}/api/checkout`, 'POST', { cart });
    assert.equal(response.status, 200, JSON.stringify(response.json));
    return response.json.checkout.calls;
  }
  const before = await freshSnapshot(lab.downstream.metricsUrl);
  const otherCalls = await checkout('small');
  const middle = await freshSnapshot(lab.downstream.metricsUrl);
  const hugeCalls = await checkout('huge');
  const after = await freshSnapshot(lab.downstream.metricsUrl);
  const apiAfter = await freshSnapshot(lab.api.metricsUrl);
  await resetToggles(lab.api.url);
  const seen = {
    otherCalls,
    hugeCalls,
    downstreamOther: increase(before, middle, 'runtime_http_request_duration_seconds_count', work),
    downstreamHuge: increase(middle, after, 'runtime_http_request_duration_seconds_count', work),
  };
  assert.deepEqual(seen, { otherCalls: 3, hugeCalls: 7, downstreamOther: 3, downstreamHuge: 7 }, 'healthy fan-out 3, the fault 7');
  assert.equal(counted(apiAfter, 'queue-amplification', 'body', 'matched'), 1);
  assert.equal(counted(apiAfter, 'queue-amplification', 'body', 'unmatched'), 1);
});

test('every fault refuses a bad trigger with the allowed form, /api/hash a body trigger, and nothing changes', async () => {
  const before = (await app.inject({ method: 'GET', url: '/admin/faults' })).json().faults;
  const cases: [string, unknown, RegExp][] = [
    [
      'executor-saturation',
      'body:=1',
      /trigger: expected "" \(no trigger\) or "<source>:<name>=<value>" with source one of header, query, body/,
    ],
    ['queue-amplification', 'cookie:a=1', /source "cookie" is not one of header, query, body/],
    ['threadpool-saturation', 'body:customer=acme', /source one of header, query,.*source "body" is not one of header, query$/],
    ['threadpool-saturation', 7, /trigger: expected .* got 7/],
    // blocking's routes are a parameter: a body trigger on GET routes only would never fire.
    [
      'blocking',
      'body:customer=acme',
      /trigger: a body trigger never matches on routes orders \(GET requests have no body\); allowed: .*report or checkout/,
    ],
  ];
  for (const [fault, trigger, message] of cases) {
    const response = await app.inject({ method: 'PUT', url: `/admin/faults/${fault}`, payload: { trigger } });
    assert.equal(response.statusCode, 400, `${fault} ${JSON.stringify(trigger)}: ${response.body}`);
    assert.match(response.json().message, message);
  }
  const afterRefusals = (await app.inject({ method: 'GET', url: '/admin/faults' })).json().faults;
  assert.deepEqual(afterRefusals, before, 'refused PUTs changed nothing');
  const onPost = await app.inject({
    method: 'PUT',
    url: '/admin/faults/blocking',
    payload: { routes: ['orders', 'report'], trigger: 'body:customer=acme' },
  });
  assert.equal(onPost.statusCode, 200, onPost.body);
  await app.inject({ method: 'DELETE', url: '/admin/faults' });
});
