import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Piscina } from 'piscina';
import telemetry, { ErrorCodes } from '../src/index.js';
import { parseExposition, sumOf, type Families } from '@runtime-lab/scrape';
import { blockFor } from './helpers.js';

const spinWorker = new URL('./fixtures/spin-worker.js', import.meta.url).href;
let app: FastifyInstance;
const pools: Piscina[] = [];

function newPool(options: ConstructorParameters<typeof Piscina>[0]): Piscina {
  const pool = new Piscina({ filename: spinWorker, idleTimeout: 60_000, ...options });
  pools.push(pool);
  return pool;
}

before(async () => {
  app = Fastify();
  await app.register(telemetry, { watchdog: false, threadpoolCanary: false, defaultMetrics: false, http: false, eluIntervalMs: 200 });
  await app.ready();
});

after(async () => {
  await app.close();
  await Promise.all(pools.map((p) => p.destroy()));
});

async function families(): Promise<Families> {
  return parseExposition(await app.telemetry.registry.metrics());
}

const sum = (f: Families, name: string, pool: string, extra: Record<string, string> = {}): number =>
  sumOf(f, name, { pool, ...extra }) ?? Number.NaN;

test('wait and run time: run measured in the worker, wait = queued behind other tasks', async () => {
  const pool = newPool({ minThreads: 1, maxThreads: 1 });
  const serial = app.telemetry.instrumentPool('serial', pool);
  const results = await Promise.all([100, 100, 100].map((ms) => serial.run<number>({ ms })));
  assert.deepEqual(results, [100, 100, 100]);
  const f = await families();
  assert.equal(sum(f, 'runtime_pool_run_seconds_count', 'serial'), 3);
  const run = sum(f, 'runtime_pool_run_seconds_sum', 'serial');
  assert.ok(run >= 0.3 && run < 0.6, `run time sum ${run} s for three 100 ms tasks`);
  // One thread: the second waits ~100 ms, the third ~200 ms (plus the first's start-up).
  const wait = sum(f, 'runtime_pool_wait_seconds_sum', 'serial');
  assert.ok(wait >= 0.28, `wait time sum ${wait} s should include ~300 ms of queueing`);
  assert.equal(sum(f, 'runtime_pool_tasks_total', 'serial', { outcome: 'ok' }), 3);
  assert.equal(sum(f, 'runtime_pool_threads', 'serial'), 1);
});

test('run time is not inflated when the main loop is blocked as the task finishes', async () => {
  const pool = newPool({ minThreads: 1, maxThreads: 1 });
  const instrumented = app.telemetry.instrumentPool('stalled', pool);
  await instrumented.run({ ms: 1 }); // the worker is up before we time anything
  const before = await families();
  const task = instrumented.run({ ms: 50 });
  blockFor(400); // the result arrives while this loop is busy
  await task;
  const f = await families();
  const run = sum(f, 'runtime_pool_run_seconds_sum', 'stalled') - sum(before, 'runtime_pool_run_seconds_sum', 'stalled');
  assert.ok(run >= 0.045 && run < 0.2, `run time ${run} s should be the task's ~50 ms, not the 400 ms stall`);
});

test('queue size and utilization = busy / (threads x wall) over the last interval', async () => {
  const pool = newPool({ minThreads: 2, maxThreads: 2 });
  const busy = app.telemetry.instrumentPool('busy', pool);
  await Promise.all([busy.run({ ms: 1 }), busy.run({ ms: 1 })]);
  const tasks = Array.from({ length: 8 }, () => busy.run({ ms: 150 }));
  await new Promise((r) => setTimeout(r, 100));
  const queued = await families();
  assert.ok(sum(queued, 'runtime_pool_queue_size', 'busy') >= 4, 'tasks beyond the two threads wait in the queue');
  await new Promise((r) => setTimeout(r, 350));
  const saturated = sum(await families(), 'runtime_pool_utilization_ratio', 'busy');
  assert.ok(saturated > 0.75 && saturated <= 1, `both threads busy: utilization ${saturated}`);
  await Promise.all(tasks);
  await new Promise((r) => setTimeout(r, 500));
  const idle = sum(await families(), 'runtime_pool_utilization_ratio', 'busy');
  assert.ok(idle < 0.1, `idle pool: utilization ${idle}`);
  assert.ok(saturated > 5 * idle, 'busy and idle readings differ');
});

test('outcomes: a task that throws is an error, a task refused by a full queue is rejected', async () => {
  const pool = newPool({ minThreads: 1, maxThreads: 1, maxQueue: 1 });
  const small = app.telemetry.instrumentPool('small', pool);
  await assert.rejects(small.run({ ms: 1, fail: true }), /task failed on purpose/);
  const first = small.run({ ms: 200 });
  await new Promise((r) => setTimeout(r, 50));
  const second = small.run({ ms: 1 });
  await assert.rejects(small.run({ ms: 1 }), /queue/i);
  await Promise.all([first, second]);
  const f = await families();
  assert.equal(sum(f, 'runtime_pool_tasks_total', 'small', { outcome: 'error' }), 1);
  assert.equal(sum(f, 'runtime_pool_tasks_total', 'small', { outcome: 'rejected' }), 1);
  assert.equal(sum(f, 'runtime_pool_tasks_total', 'small', { outcome: 'ok' }), 2);
  // The failed task still ran in a worker, so its run time is recorded.
  assert.equal(sum(f, 'runtime_pool_run_seconds_count', 'small'), 3);
});

test('a worker without measured(), a bad name or a duplicate name is a clear error', async () => {
  const plain = newPool({ filename: new URL('./fixtures/plain-worker.js', import.meta.url).href, maxThreads: 1, minThreads: 1 });
  const unmeasured = app.telemetry.instrumentPool('plain', plain);
  await assert.rejects(unmeasured.run({ x: 1 }), (e: Error & { code?: string }) => {
    assert.equal(e.code, ErrorCodes.POOL_NOT_MEASURED);
    assert.match(e.message, /pool "plain" .* measured\(fn\)/);
    return true;
  });
  assert.throws(() => app.telemetry.instrumentPool('has space', plain), {
    code: ErrorCodes.INVALID_POOL,
    message: /name "has space" is not allowed/,
  });
  assert.throws(() => app.telemetry.instrumentPool('plain', plain), { code: ErrorCodes.INVALID_POOL, message: /already instrumented/ });
  assert.throws(() => app.telemetry.instrumentPool('fake', {} as Piscina), {
    code: ErrorCodes.INVALID_POOL,
    message: /not a piscina pool/,
  });
});
