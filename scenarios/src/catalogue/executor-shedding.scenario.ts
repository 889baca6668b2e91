import { defineScenario } from '../define.js';
import { ONE_SLOW_WORKER, REPORTS } from './executor.scenario.js';

export default defineScenario({
  name: 'executor-shedding',
  title: 'Executor saturation, then a bounded queue with load shedding',
  description:
    'The executor fault, then load shedding with the fault still on: the report pool queue is bounded and overflow is answered 503 + Retry-After at once, so the requests that are accepted stop waiting behind a long queue.',
  guide: 'executor-shedding.md',
  phases: [
    { name: 'fault', durationSeconds: 12, faults: ONE_SLOW_WORKER, streams: [REPORTS] },
    {
      name: 'mitigated',
      durationSeconds: 12,
      settleSeconds: 2,
      faults: ONE_SLOW_WORKER,
      mitigations: { 'load-shedding': { maxPoolQueue: 1 } },
      streams: [REPORTS],
    },
  ],
  expectations: [
    { phase: 'fault', signal: 'poolQueue', above: 3 },
    { phase: 'mitigated', signal: 'poolQueue', below: { phase: 'fault', factor: 0.5 }, why: 'the queue is bounded' },
    { phase: 'mitigated', signal: 'errorRate', above: 0.1, why: 'the overflow is shed: fast 503s instead of slow 200s' },
  ],
  quick: { phases: { fault: { durationSeconds: 6 }, mitigated: { durationSeconds: 7 } } },
});
