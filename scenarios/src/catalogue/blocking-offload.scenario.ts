import { defineScenario, type LoadStream } from '../define.js';
import { CPU_BLOCKING } from './blocking.scenario.js';

const ORDERS: LoadStream = { kind: 'pressure', name: 'orders', route: '/api/orders', connections: 2 };

// The blocking fault, then the same fault with the work offloaded to a worker pool: the CPU
// is still spent, but not on the loop, so /api/ping recovers while /api/orders stays slow.
export default defineScenario({
  name: 'blocking-offload',
  title: 'Blocking, then the same work offloaded to a worker pool',
  description:
    'Runs the flagship fault, then switches on the offload mitigation with the fault still on. Loop delay and probe P99 fall back; the cost moves to the offload pool queue.',
  guide: 'blocking-offload.md',
  phases: [
    { name: 'baseline', durationSeconds: 5, streams: [ORDERS] },
    { name: 'fault', durationSeconds: 12, faults: CPU_BLOCKING, streams: [ORDERS] },
    {
      name: 'mitigated',
      durationSeconds: 12,
      settleSeconds: 2,
      faults: CPU_BLOCKING,
      mitigations: { offload: { threads: 1 } },
      streams: [ORDERS],
    },
  ],
  expectations: [
    { phase: 'fault', signal: 'probeP99', above: 0.5 },
    { phase: 'mitigated', signal: 'probeP99', below: { phase: 'fault', factor: 0.2 }, why: 'the loop is free again: ping answers at once' },
    { phase: 'mitigated', signal: 'loopDelayP99', below: { phase: 'fault', factor: 0.2 } },
  ],
  quick: { phases: { baseline: { durationSeconds: 3 }, fault: { durationSeconds: 6 }, mitigated: { durationSeconds: 7 } } },
});
