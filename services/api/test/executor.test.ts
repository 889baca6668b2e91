// Executor saturation on real HTTP against the api as a child process.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { measureExecutor } from '../measure/experiments.js';
import { type Lab, startLab } from '@runtime-lab/test-kit';

let lab: Lab;
before(async () => {
  lab = await startLab();
});
after(async () => {
  await lab?.stop();
});

test('executor saturation: pool queue and wait grow while /api/orders stays fast; larger-pool and load-shedding bound it', async () => {
  const common = { connections: 8, probeRate: 20 };
  const fault = { 'executor-saturation': { threads: 1, taskMs: 200 } };
  const healthy = await measureExecutor(lab, { label: 'healthy', toggles: {}, phaseMs: 2500, ...common });
  const saturated = await measureExecutor(lab, { label: 'executor-saturation', toggles: fault, phaseMs: 4000, ...common });
  const larger = await measureExecutor(lab, {
    label: '+ larger-pool',
    toggles: { ...fault, 'larger-pool': { threads: 4 } },
    phaseMs: 4000,
    ...common,
  });
  const shed = await measureExecutor(lab, {
    label: '+ load-shedding',
    toggles: { ...fault, 'load-shedding': { maxPoolQueue: 2, retryAfterSeconds: 2 } },
    phaseMs: 2500,
    ...common,
  });
  const figures = JSON.stringify([healthy, saturated, larger, shed]);

  assert.ok(saturated.queueMax >= 5, `8 connections on 1 thread queue up: ${figures}`);
  assert.ok(saturated.waitMeanMs >= 200 && saturated.waitMeanMs >= 5 * healthy.waitMeanMs, `wait grows: ${figures}`);
  assert.ok(saturated.ordersP99Ms <= saturated.waitMeanMs / 2, `the main loop stays free: orders p99 vs pool wait: ${figures}`);

  assert.ok(larger.waitMeanMs <= 0.7 * saturated.waitMeanMs, `larger-pool cuts the wait: ${figures}`);
  assert.ok(larger.queueMax < saturated.queueMax, `larger-pool shortens the queue: ${figures}`);

  assert.ok(shed.queueMax <= 2, `load-shedding bounds the pool queue: ${figures}`);
  assert.ok((shed.statuses['503'] ?? 0) > 0 && (shed.statuses['200'] ?? 0) > 0, `some shed, some served: ${figures}`);
  assert.deepEqual(shed.retryAfter, ['2'], `shed requests carry Retry-After: ${figures}`);
});
