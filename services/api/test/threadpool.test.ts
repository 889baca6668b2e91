// Threadpool saturation on real HTTP against the api as a child process, UV_THREADPOOL_SIZE=4.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { measureThreadpool } from '../measure/experiments.js';
import { type Lab, startLab } from '@runtime-lab/test-kit';

let lab: Lab;
before(async () => {
  lab = await startLab({ UV_THREADPOOL_SIZE: '4' });
});
after(async () => {
  await lab?.stop();
});

test('threadpool saturation: /api/config and the canary slow down while loop delay stays low; offload removes it', async (t) => {
  const common = { connections: 4, phaseMs: 3000, probeRate: 10 };
  const fault = { 'threadpool-saturation': { jobsPerRequest: 4, iterations: 100_000, concurrency: 4 } };
  const healthy = await measureThreadpool(lab, { label: 'healthy', toggles: {}, ...common });
  const saturated = await measureThreadpool(lab, { label: 'threadpool-saturation', toggles: fault, ...common });
  const offloaded = await measureThreadpool(lab, { label: '+ offload', toggles: { ...fault, offload: {} }, ...common });
  const figures = JSON.stringify([healthy, saturated, offloaded]);
  t.diagnostic(figures);

  assert.ok(saturated.configP50Ms >= 50 && saturated.configP50Ms >= 5 * healthy.configP50Ms, `config p50 rises: ${figures}`);
  assert.ok(saturated.canaryP99Ms >= 5 * Math.max(healthy.canaryP99Ms, 1), `canary p99 rises: ${figures}`);
  assert.ok(saturated.canaryPendingMaxMs >= 50, `a canary is seen pending: ${figures}`);
  // Nothing on the main thread is busy: the loop is waiting, not blocked.
  assert.ok(saturated.loopDelayP99Ms <= saturated.configP50Ms / 5, `loop delay stays low relative to the wait: ${figures}`);

  assert.ok(offloaded.configP50Ms <= saturated.configP50Ms / 5, `offload frees the threadpool for fs: ${figures}`);
  // The tail, as for the rise above: under saturation most canaries may still slip through
  // between hash batches, so both medians can sit in the first bucket (seen: 0.5 vs 0.2 ms).
  assert.ok(offloaded.canaryP99Ms <= saturated.canaryP99Ms / 5, `offload brings the canary back: ${figures}`);
  assert.ok(offloaded.hashServed > 0, `hashes still served with offload: ${figures}`);
});
