import { defineScenario } from '../define.js';

export default defineScenario({
  name: 'baseline',
  title: 'Baseline: a healthy service under light load',
  description:
    'No fault. The probe and a light closed-loop load on /api/orders show what healthy looks like on this machine: the reference every other scenario is read against.',
  guide: 'baseline.md',
  phases: [
    { name: 'warmup', durationSeconds: 3, settleSeconds: 0 },
    { name: 'steady', durationSeconds: 20, streams: [{ kind: 'pressure', name: 'orders', route: '/api/orders', connections: 2 }] },
  ],
  expectations: [
    { phase: 'steady', signal: 'probeP99', below: 0.1, why: 'a healthy loop answers a trivial route well within the 100 ms SLO' },
    { phase: 'steady', signal: 'loopDelayP99', below: 0.04, why: 'nothing holds the loop for long (40 ms: a loop-delay bucket edge)' },
    { phase: 'steady', signal: 'errorRate', below: 0.01 },
  ],
  quick: { phases: { warmup: { durationSeconds: 2 }, steady: { durationSeconds: 6 } } },
});
