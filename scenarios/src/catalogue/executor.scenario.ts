import { defineScenario, type LoadStream } from '../define.js';

/** One worker, 200 ms tasks, an unbounded queue; executor-shedding runs it again with the mitigation on. */
export const ONE_SLOW_WORKER = { 'executor-saturation': { threads: 1, taskMs: 200, maxQueue: 0 } };
/** Eight closed-loop connections to the report route, whose work runs in the pool. */
export const REPORTS: LoadStream = { kind: 'pressure', name: 'report', route: '/api/report', method: 'POST', body: {}, connections: 8 };

// The backlog hides inside the executor: the pool behind /api/report has one thread and each
// task takes 200 ms, so eight connections queue up; the loop itself stays free.
export default defineScenario({
  name: 'executor',
  title: 'Executor saturation: the queue hides in the worker pool',
  description:
    'POST /api/report runs on a piscina pool shrunk to one thread with 200 ms tasks. Report latency explodes, the pool queue grows, while loop delay and /api/ping stay healthy: loop metrics alone say all is well.',
  guide: 'executor.md',
  phases: [
    { name: 'baseline', durationSeconds: 5, streams: [REPORTS] },
    { name: 'fault', durationSeconds: 15, faults: ONE_SLOW_WORKER, streams: [REPORTS] },
  ],
  expectations: [
    { phase: 'fault', signal: 'poolQueue', above: 3, why: 'eight callers, one worker: the rest wait in the pool queue' },
    { phase: 'fault', signal: 'pressureP99', above: 0.8, why: 'each report waits for the ones ahead of it' },
    { phase: 'fault', signal: 'probeP99', below: 0.3, why: 'the main loop is free: /api/ping only pays for CPU contention, never a queue' },
    { phase: 'fault', signal: 'loopDelayP99', below: 0.08, why: 'no stall: the work runs in the worker' },
  ],
  quick: { phases: { baseline: { durationSeconds: 3 }, fault: { durationSeconds: 8 } } },
});
