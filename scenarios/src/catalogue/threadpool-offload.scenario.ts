import { defineScenario } from '../define.js';
import { CONFIG, HASH, THREADPOOL_SATURATION } from './threadpool.scenario.js';

export default defineScenario({
  name: 'threadpool-offload',
  title: 'Threadpool saturation, then the crypto moved to a worker pool',
  description:
    'The threadpool fault, then the offload mitigation with the fault still on: /api/hash runs its crypto in a worker pool, the libuv threadpool is free for fs and dns again, and the canary recovers.',
  guide: 'threadpool-offload.md',
  phases: [
    { name: 'fault', durationSeconds: 12, faults: THREADPOOL_SATURATION, streams: [HASH, CONFIG] },
    {
      name: 'mitigated',
      durationSeconds: 12,
      settleSeconds: 3,
      faults: THREADPOOL_SATURATION,
      mitigations: { offload: { threads: 1 } },
      streams: [HASH, CONFIG],
    },
  ],
  expectations: [
    { phase: 'fault', signal: 'threadpoolCanary', above: 0.05 },
    { phase: 'mitigated', signal: 'threadpoolCanary', below: { phase: 'fault', factor: 0.3 }, why: 'the threadpool is free for fs again' },
  ],
  quick: { phases: { fault: { durationSeconds: 6 }, mitigated: { durationSeconds: 8 } } },
});
