import { defineScenario, type LoadStream } from '../define.js';

/** The retry storm; queue-amplification-shedding runs it again with the mitigations on. */
export const RETRY_STORM = {
  'queue-amplification': {
    fanOut: 5,
    downstreamLatencyMs: 200,
    downstreamConcurrency: 4,
    timeoutMs: 500,
    retries: 3,
    backoffMs: 50,
    queueLimit: 0,
  },
};
/** Closed-loop checkouts on `connections` connections. */
export const checkouts = (connections: number): LoadStream => ({
  kind: 'pressure',
  name: 'checkout',
  route: '/api/checkout',
  method: 'POST',
  body: {},
  connections,
});

// A retry storm: each checkout fans out to a slow, concurrency-limited downstream; calls time
// out while still queued, are retried, and the abandoned attempts are still served.
export default defineScenario({
  name: 'queue-amplification',
  title: 'Queue amplification: fan-out, timeouts and retries feed a growing backlog',
  description:
    'POST /api/checkout fans out five downstream calls through an unbounded in-process queue; downstream is slow and limited. Timeouts trigger retries, retries add load, the backlog grows and checkouts fail, while the event loop looks fine.',
  guide: 'queue-amplification.md',
  phases: [
    { name: 'baseline', durationSeconds: 5, streams: [checkouts(4)] },
    { name: 'fault', durationSeconds: 15, faults: RETRY_STORM, streams: [checkouts(8)] },
  ],
  expectations: [
    { phase: 'fault', signal: 'backlog', above: 20, why: 'calls arrive faster than downstream serves them, and retries add more' },
    { phase: 'fault', signal: 'pressureP99', above: 1, why: 'checkouts wait for retries of calls that time out in the queue, then fail' },
    { phase: 'fault', signal: 'serverP99', below: 0.05, why: 'the loop itself is fine: /api/ping looks healthy from the server' },
  ],
  quick: { phases: { baseline: { durationSeconds: 3 }, fault: { durationSeconds: 8 } } },
});
