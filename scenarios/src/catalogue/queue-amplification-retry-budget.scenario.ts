import { defineScenario } from '../define.js';

export default defineScenario({
  name: 'queue-amplification-retry-budget',
  title: 'Queue amplification, then a retry budget and deadline propagation',
  description:
    'The retry storm, then the retry budget (retries capped at 10% of first attempts) and deadline propagation (queued calls whose caller gave up are dropped) with the fault still on: the backlog stops amplifying.',
  guide: 'queue-amplification-retry-budget.md',
  phases: [
    {
      name: 'fault',
      durationSeconds: 12,
      faults: {
        'queue-amplification': { fanOut: 5, downstreamLatencyMs: 200, downstreamConcurrency: 4, timeoutMs: 500, retries: 3, backoffMs: 50, queueLimit: 0 },
      },
      streams: [{ kind: 'pressure', name: 'checkout', route: '/api/checkout', method: 'POST', body: {}, connections: 8 }],
    },
    {
      name: 'mitigated',
      durationSeconds: 12,
      settleSeconds: 3,
      faults: {
        'queue-amplification': { fanOut: 5, downstreamLatencyMs: 200, downstreamConcurrency: 4, timeoutMs: 500, retries: 3, backoffMs: 50, queueLimit: 0 },
      },
      mitigations: { 'retry-budget': { ratio: 0.1, minRetriesPerSecond: 1 }, 'deadline-propagation': { minRemainingMs: 10 } },
      streams: [{ kind: 'pressure', name: 'checkout', route: '/api/checkout', method: 'POST', body: {}, connections: 8 }],
    },
  ],
  expectations: [
    { phase: 'fault', signal: 'backlog', above: 20 },
    { phase: 'mitigated', signal: 'backlog', below: { phase: 'fault', factor: 0.6 }, why: 'no retry storm, no abandoned work in the queue' },
  ],
  quick: { phases: { fault: { durationSeconds: 6 }, mitigated: { durationSeconds: 8 } } },
});
