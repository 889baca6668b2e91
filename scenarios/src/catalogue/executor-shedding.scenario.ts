import { defineScenario } from '../define.js';

export default defineScenario({
  name: 'executor-shedding',
  title: 'Executor saturation, then a bounded queue with load shedding',
  description:
    'The executor fault, then load shedding with the fault still on: the report pool queue is bounded and overflow is answered 503 + Retry-After at once, so the requests that are accepted stop waiting behind a long queue.',
  guide: 'executor-shedding.md',
  phases: [
    {
      name: 'fault',
      durationSeconds: 12,
      faults: { 'executor-saturation': { threads: 1, taskMs: 200, maxQueue: 0 } },
      streams: [{ kind: 'pressure', name: 'report', route: '/api/report', method: 'POST', body: {}, connections: 8 }],
    },
    {
      name: 'mitigated',
      durationSeconds: 12,
      settleSeconds: 2,
      faults: { 'executor-saturation': { threads: 1, taskMs: 200, maxQueue: 0 } },
      mitigations: { 'load-shedding': { maxPoolQueue: 1 } },
      streams: [{ kind: 'pressure', name: 'report', route: '/api/report', method: 'POST', body: {}, connections: 8 }],
    },
  ],
  expectations: [
    { phase: 'fault', signal: 'poolQueue', above: 3 },
    { phase: 'mitigated', signal: 'poolQueue', below: { phase: 'fault', factor: 0.5 }, why: 'the queue is bounded' },
    { phase: 'mitigated', signal: 'errorRate', above: 0.1, why: 'the overflow is shed: fast 503s instead of slow 200s' },
  ],
  quick: { phases: { fault: { durationSeconds: 6 }, mitigated: { durationSeconds: 7 } } },
});
