// The workshop's hidden fault (PUT /admin/mystery): on for real, shown as off in every view of the
// admin API and the fault metrics, ended by DELETE /admin/mystery, DELETE /admin/faults or its TTL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseExposition, samplesOf } from '@runtime-lab/scrape';
import type { FastifyInstance } from 'fastify';
import { build } from './helper.js';

describe('mystery fault (inject)', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await build();
  });
  after(async () => {
    await app.close();
  });

  const activeSeries = async (): Promise<string[]> =>
    samplesOf(parseExposition(await app.telemetry.registry.metrics()), 'lab_fault_active')
      .filter((s) => s.value === 1)
      .map((s) => s.labels.fault as string);

  test('a hidden fault acts but reads as off; GET /admin/mystery says only that one is on; DELETE /admin/faults ends it', async () => {
    const put = await app.inject({
      method: 'PUT',
      url: '/admin/mystery',
      payload: { fault: 'blocking', mode: 'sleep', durationMs: 150, routes: ['orders'], ttlSeconds: 30 },
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.doesNotMatch(put.body, /blocking|orders|durationMs/);
    const faults = (await app.inject({ method: 'GET', url: '/admin/faults' })).json().faults as { name: string; active: boolean }[];
    assert.deepEqual(
      faults.filter((f) => f.active),
      [],
    );
    assert.equal((await app.inject({ method: 'GET', url: '/admin/faults/blocking' })).json().active, false);
    const mystery = (await app.inject({ method: 'GET', url: '/admin/mystery' })).json();
    assert.equal(mystery.active, true);
    assert.ok(mystery.remainingSeconds > 0 && mystery.remainingSeconds <= 30);
    assert.deepEqual(Object.keys(mystery).sort(), ['active', 'expiresAt', 'remainingSeconds']);
    assert.deepEqual(await activeSeries(), ['mystery']);
    const t0 = performance.now();
    assert.equal((await app.inject({ method: 'GET', url: '/api/orders' })).statusCode, 200);
    assert.ok(performance.now() - t0 >= 140, 'the hidden fault really blocks /api/orders');
    await app.inject({ method: 'DELETE', url: '/admin/faults' });
    assert.equal((await app.inject({ method: 'GET', url: '/admin/mystery' })).json().active, false);
    assert.deepEqual(await activeSeries(), []);
  });

  test('PUT /admin/mystery needs a fault (not a mitigation) and valid parameters; DELETE /admin/mystery ends it', async () => {
    const mitigation = await app.inject({ method: 'PUT', url: '/admin/mystery', payload: { fault: 'offload' } });
    assert.equal(mitigation.statusCode, 400);
    assert.match(mitigation.json().message, /needs "fault", one of: blocking, executor-saturation/);
    const bad = await app.inject({ method: 'PUT', url: '/admin/mystery', payload: { fault: 'blocking', durationMs: -1 } });
    assert.equal(bad.statusCode, 400);
    assert.equal((await app.inject({ method: 'GET', url: '/admin/mystery' })).json().active, false);
    await app.inject({ method: 'PUT', url: '/admin/mystery', payload: { fault: 'executor-saturation', ttlSeconds: 30 } });
    assert.equal((await app.inject({ method: 'GET', url: '/admin/mystery' })).json().active, true);
    assert.equal((await app.inject({ method: 'DELETE', url: '/admin/mystery' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/admin/mystery' })).json().active, false);
  });
});
