import { defineScenario } from '../define.js';

// Lead time under rising load: every /api/orders request does 4 ms of synchronous work and
// the rate rises step by step. ELU approaches 1 before latency moves: the early warning.
export default defineScenario({
  name: 'ramp',
  title: 'Rising load: which signal turns first',
  description:
    'An open-loop ramp on /api/orders, each request holding the loop for 4 ms, rising every few seconds. Event-loop utilization climbs towards saturation before the probe P99 breaches its SLO: the lead time an alert on ELU buys.',
  guide: 'ramp.md',
  probe: { sloMs: 250 },
  // ELU settles around 0.75-0.8 on this api well before saturation, then jumps to 1 together
  // with latency: 0.7 is where it gives its warning (measured, see the guide).
  thresholds: { elu: 0.7 },
  phases: [
    { name: 'baseline', durationSeconds: 4, faults: {} },
    {
      name: 'ramp',
      durationSeconds: 36,
      onset: true,
      faults: { blocking: { mode: 'cpu', durationMs: 4, fraction: 1, routes: ['orders'] } },
      streams: [
        { kind: 'ramp', name: 'orders', route: '/api/orders', startRate: 40, stepRate: 40, stepSeconds: 3, maxRate: 480, timeoutMs: 3000 },
      ],
    },
  ],
  expectations: [
    { leads: 'elu', before: 'probeP99', bySeconds: 1, why: 'utilization nears 1 before queues form and latency climbs' },
    { phase: 'ramp', signal: 'elu', stat: 'max', above: 0.9 },
  ],
  quick: {
    phases: {
      baseline: { durationSeconds: 2 },
      // 2 s steps: the short ramp must still pass capacity (~250 req/s here) early enough for
      // the probe to breach its SLO; with 3 s steps it ended at 240 req/s, P99 ~60 ms.
      ramp: {
        durationSeconds: 18,
        streams: [
          {
            kind: 'ramp',
            name: 'orders',
            route: '/api/orders',
            startRate: 40,
            stepRate: 40,
            stepSeconds: 2,
            maxRate: 480,
            timeoutMs: 3000,
          },
        ],
      },
    },
  },
});
