import { defineScenario } from '../define.js';

export default defineScenario({
  name: 'threadpool-offload',
  title: 'Threadpool saturation, then the crypto moved to a worker pool',
  description:
    'The threadpool fault, then the offload mitigation with the fault still on: /api/hash runs its crypto in a worker pool, the libuv threadpool is free for fs and dns again, and the canary recovers.',
  guide: 'threadpool-offload.md',
  phases: [
    {
      name: 'fault',
      durationSeconds: 12,
      faults: { 'threadpool-saturation': { jobsPerRequest: 4, iterations: 100000, concurrency: 4 } },
      streams: [
        { kind: 'pressure', name: 'hash', route: '/api/hash', connections: 4 },
        { kind: 'pressure', name: 'config', route: '/api/config', connections: 1 },
      ],
    },
    {
      name: 'mitigated',
      durationSeconds: 12,
      settleSeconds: 3,
      faults: { 'threadpool-saturation': { jobsPerRequest: 4, iterations: 100000, concurrency: 4 } },
      mitigations: { offload: { threads: 1 } },
      streams: [
        { kind: 'pressure', name: 'hash', route: '/api/hash', connections: 4 },
        { kind: 'pressure', name: 'config', route: '/api/config', connections: 1 },
      ],
    },
  ],
  expectations: [
    { phase: 'fault', signal: 'threadpoolCanary', above: 0.05 },
    { phase: 'mitigated', signal: 'threadpoolCanary', below: { phase: 'fault', factor: 0.3 }, why: 'the threadpool is free for fs again' },
  ],
  quick: { phases: { fault: { durationSeconds: 6 }, mitigated: { durationSeconds: 8 } } },
});
