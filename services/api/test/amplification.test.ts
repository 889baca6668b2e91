// Queue amplification and its three mitigations, on real HTTP: api and downstream as child
// processes, checkouts under closed-loop pressure.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HEALTHY_CHECKOUT } from '../src/checkout/checkout.js';
import { type AmplificationFigures, measureAmplification } from '../measure/experiments.js';
import { type Lab, startLab } from '@runtime-lab/test-kit';

let lab: Lab;
before(async () => {
  lab = await startLab();
});
after(async () => {
  await lab?.stop();
});

const CONNECTIONS = 8;
const FAN_OUT = 5;

test('queue amplification grows backlog, calls per checkout and retries; each mitigation bounds its part', async () => {
  const common = { connections: CONNECTIONS };
  const fault = { 'queue-amplification': { fanOut: FAN_OUT } };
  const run = (label: string, toggles: Record<string, Record<string, unknown>>, phaseMs: number) =>
    measureAmplification(lab, { label, toggles, phaseMs, ...common });
  const healthy = await run('healthy', {}, 2000);
  const amplified = await run('queue-amplification', fault, 4000);
  const shed = await run('+ load-shedding', { ...fault, 'load-shedding': { maxBacklog: 30, retryAfterSeconds: 3 } }, 3000);
  const budget = await run('+ retry-budget', { ...fault, 'retry-budget': {} }, 4000);
  const deadlines = await run('+ deadline-propagation', { ...fault, 'deadline-propagation': {} }, 4000);
  const all = await run(
    '+ all three',
    { ...fault, 'load-shedding': { maxBacklog: 30 }, 'retry-budget': {}, 'deadline-propagation': {} },
    3000,
  );
  const rows: AmplificationFigures[] = [healthy, amplified, shed, budget, deadlines, all];
  const figures = JSON.stringify(rows);
  const liveCalls = CONNECTIONS * FAN_OUT;

  assert.equal(healthy.callsPerCheckout, HEALTHY_CHECKOUT.fanOut, `healthy: one call per fan-out: ${figures}`);
  assert.equal(healthy.retries, 0, figures);

  // More queued calls than callers waiting for them: the queue holds abandoned work.
  assert.ok(amplified.backlogMax > liveCalls, `backlog grows past the ${liveCalls} live calls: ${figures}`);
  assert.ok(amplified.callsPerCheckout >= 2 * FAN_OUT, `retries multiply the calls per checkout: ${figures}`);
  assert.ok(amplified.retries >= 50, `retries: ${figures}`);
  assert.ok((amplified.statuses['504'] ?? 0) > 0, `checkouts fail: ${figures}`);

  assert.ok(shed.backlogMax <= 30, `load-shedding bounds the backlog: ${figures}`);
  assert.ok((shed.statuses['503'] ?? 0) > 0, `shed checkouts get 503: ${figures}`);
  assert.deepEqual(shed.retryAfter, ['3'], `with Retry-After: ${figures}`);

  assert.ok(budget.retries <= amplified.retries / 2, `retry-budget caps retries: ${figures}`);
  assert.ok(budget.callsPerCheckout < amplified.callsPerCheckout, `and calls per checkout: ${figures}`);

  assert.ok(deadlines.backlogMax <= liveCalls, `deadline propagation keeps only calls someone waits for: ${figures}`);
  assert.ok((deadlines.outcomes.dropped ?? 0) > 0, `abandoned calls are dropped: ${figures}`);

  assert.ok(all.backlogMax <= 30 && all.retries <= amplified.retries / 2, `all three together: ${figures}`);
});
