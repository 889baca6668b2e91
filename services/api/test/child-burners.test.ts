// The child-process blocking mode's queue: hard-capped (503 + Retry-After beyond the cap), and
// what waits or runs when the fault goes off is answered at once with a 503 that says why.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../src/errors.js';
import { ChildBurners } from '../src/faults/child-burners.js';
import { build } from './helper.js';

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ApiError, `a ApiError, got ${String(error)}`);
  return error;
}

test('child burners: beyond the cap a burn is refused at once with 503 + Retry-After; closing cancels the rest', async () => {
  const burners = new ChildBurners({ size: 1, maxWaiting: 2 });
  try {
    const accepted = [burners.burn(3000, 2), burners.burn(3000, 2), burners.burn(3000, 2)];
    assert.equal(burners.waiting, 2, 'one burn runs in the only child, two wait');
    const refusedAt = performance.now();
    const refused = await rejection(burners.burn(3000, 2));
    assert.ok(performance.now() - refusedAt < 100, 'refused without waiting');
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.code, 'LAB_CHILD_QUEUE_FULL');
    assert.equal(refused.retryAfterSeconds, 2);
    assert.match(refused.message, /2 burns already wait for the 1 child process\(es\), the limit is 2; retry after 2 s/);
    assert.equal(burners.waiting, 2, 'the refused burn was not queued');

    burners.close('blocking turned off');
    for (const error of await Promise.all(accepted.map(rejection))) {
      assert.equal(error.statusCode, 503);
      assert.equal(error.code, 'LAB_CHILD_WORK_CANCELLED');
      assert.match(error.message, /blocking turned off before this burn finished; it was cancelled; retry after 2 s/);
    }
  } finally {
    burners.close('test over');
  }
});

test('turning blocking off answers the waiting child-process requests at once: 503 + Retry-After + reason', async (t) => {
  const app = await build();
  try {
    await app.inject({ method: 'PUT', url: '/admin/faults/blocking', payload: { mode: 'child-process', durationMs: 10_000 } });
    const requests = Array.from({ length: 4 }, () => app.inject({ method: 'GET', url: '/api/orders' }));
    // Long enough for the requests to reach their burns (inject runs them on this loop).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const offAt = performance.now();
    await app.inject({ method: 'DELETE', url: '/admin/faults/blocking' });
    const responses = await Promise.all(requests);
    const answeredMs = performance.now() - offAt;
    t.diagnostic(`child-process: 4 requests answered ${Math.round(answeredMs)} ms after DELETE /admin/faults/blocking`);
    assert.ok(answeredMs < 2000, `answered ${Math.round(answeredMs)} ms after, long before the 10 s burns would end`);
    for (const response of responses) {
      assert.equal(response.statusCode, 503, response.body);
      assert.equal(response.headers['retry-after'], '1');
      assert.equal(response.json().error, 'LAB_CHILD_WORK_CANCELLED');
      assert.match(response.json().message, /blocking turned off before this burn finished/);
    }
    const after = await app.inject({ method: 'GET', url: '/api/orders' });
    assert.equal(after.statusCode, 200);
  } finally {
    await app.close();
  }
});
