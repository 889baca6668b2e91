// A pool taken out of service by a toggle change cancels its work at once: the queued and
// running requests get a 503 that says why, and the queue gauge drops to 0, instead of the old
// pool running its whole queue in the background after "everything healthy".
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseExposition, sumOf } from '@runtime-lab/scrape';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { build } from './helper.js';

let app: FastifyInstance;
before(async () => {
  app = await build();
});
after(async () => {
  await app.close();
});

async function gauge(name: string, labels: Record<string, string>): Promise<number> {
  return sumOf(parseExposition(await app.telemetry.registry.metrics()), name, labels) ?? 0;
}

/** Polls until `check` holds; fails with `what` after timeoutMs. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function assertCancelled(responses: LightMyRequestResponse[], reason: RegExp): void {
  for (const response of responses) {
    assert.equal(response.statusCode, 503, response.body);
    assert.equal(response.headers['retry-after'], '1', response.body);
    const body = response.json();
    assert.equal(body.error, 'LAB_POOL_RETIRED', response.body);
    assert.match(body.message, reason);
  }
}

test('DELETE /admin/faults cancels a saturated report pool: queued requests get 503 + Retry-After at once, the queue gauge drops to 0', async (t) => {
  const taskMs = 5000;
  await app.inject({ method: 'PUT', url: '/admin/faults/executor-saturation', payload: { threads: 1, taskMs } });
  const requests = Array.from({ length: 12 }, () => app.inject({ method: 'POST', url: '/api/report' }));
  await until('11 report tasks queued', async () => (await gauge('runtime_pool_queue_size', { pool: 'report' })) >= 11);
  const rejectedBefore = await gauge('runtime_pool_tasks_total', { pool: 'report', outcome: 'rejected' });

  const resetAt = performance.now();
  const reset = await app.inject({ method: 'DELETE', url: '/admin/faults' });
  assert.equal(reset.statusCode, 200);
  const responses = await Promise.all(requests);
  const answeredMs = performance.now() - resetAt;
  t.diagnostic(`report pool: 12 requests (11 queued) answered ${Math.round(answeredMs)} ms after DELETE /admin/faults`);

  // Before the fix the old pool ran its queue to the end: 12 tasks x 5 s on one thread.
  assert.ok(
    answeredMs < taskMs / 2,
    `all 12 requests answered ${Math.round(answeredMs)} ms after the reset, less than one task's ${taskMs} ms`,
  );
  assertCancelled(responses, /pool report was replaced \(DELETE \/admin\/faults\) before this task finished; the task was cancelled/);
  assert.equal(await gauge('runtime_pool_queue_size', { pool: 'report' }), 0);
  // The 12th task may also not have started yet: its worker could still be booting.
  const rejected = (await gauge('runtime_pool_tasks_total', { pool: 'report', outcome: 'rejected' })) - rejectedBefore;
  assert.ok(rejected >= 11 && rejected <= 12, `the 11 queued tasks never started (rejected: ${rejected})`);
  assert.equal(await gauge('runtime_pool_threads', { pool: 'report' }), 2, 'only the healthy pool is left');

  const healthy = await app.inject({ method: 'POST', url: '/api/report' });
  assert.equal(healthy.statusCode, 200);
  assert.equal(healthy.json().report.taskMs, 20);
});

test('turning offload off cancels the blocks queued and running in its pool', async (t) => {
  await app.inject({ method: 'PUT', url: '/admin/faults/blocking', payload: { mode: 'sleep', durationMs: 20_000 } });
  await app.inject({ method: 'PUT', url: '/admin/faults/offload', payload: { threads: 1 } });
  const requests = Array.from({ length: 4 }, () => app.inject({ method: 'GET', url: '/api/orders' }));
  await until('3 offloaded blocks queued', async () => (await gauge('runtime_pool_queue_size', { pool: 'offload' })) >= 3);

  const offAt = performance.now();
  const off = await app.inject({ method: 'DELETE', url: '/admin/faults/offload' });
  assert.equal(off.statusCode, 200);
  const responses = await Promise.all(requests);
  const answeredMs = performance.now() - offAt;
  t.diagnostic(`offload pool: 4 requests (3 queued) answered ${Math.round(answeredMs)} ms after DELETE /admin/faults/offload`);

  assert.ok(answeredMs < 2000, `answered ${Math.round(answeredMs)} ms after offload went off, not after the 20 s blocks`);
  assertCancelled(responses, /pool offload was closed \(offload turned off\) before this task finished/);
  assert.equal(await gauge('runtime_pool_queue_size', { pool: 'offload' }), 0);
  assert.equal(await gauge('runtime_pool_threads', { pool: 'offload' }), 0);
  await app.inject({ method: 'DELETE', url: '/admin/faults' });
});
