import { defineScenario, type LoadStream } from '../define.js';

/** pbkdf2 jobs filling the libuv threadpool; threadpool-offload runs it again with the mitigation on. */
export const THREADPOOL_SATURATION = { 'threadpool-saturation': { jobsPerRequest: 4, iterations: 100000, concurrency: 4 } };
/** The victim: an async file read, which needs a threadpool thread. */
export const CONFIG: LoadStream = { kind: 'pressure', name: 'config', route: '/api/config', connections: 1 };
/** The culprit: crypto on the threadpool. */
export const HASH: LoadStream = { kind: 'pressure', name: 'hash', route: '/api/hash', connections: 4 };

// Crypto on the libuv threadpool (4 threads) starves everything else that needs it: fs reads,
// dns lookups. The event loop is idle, waiting; the threadpool canary is what shows it.
export default defineScenario({
  name: 'threadpool',
  title: 'libuv threadpool saturation: the loop is idle and nothing moves',
  description:
    'GET /api/hash submits pbkdf2 jobs to the libuv threadpool; GET /api/config (an async file read) queues behind them. Loop delay stays low: only the threadpool canary and /api/config latency show the starvation.',
  guide: 'threadpool.md',
  phases: [
    { name: 'baseline', durationSeconds: 5, streams: [CONFIG] },
    { name: 'fault', durationSeconds: 15, faults: THREADPOOL_SATURATION, streams: [HASH, CONFIG] },
  ],
  expectations: [
    { phase: 'fault', signal: 'threadpoolCanary', above: 0.2, why: 'the canary’s fs operation waits behind pbkdf2 jobs' },
    { phase: 'fault', signal: 'threadpoolCanary', above: { phase: 'baseline', factor: 5 } },
    {
      phase: 'fault',
      signal: 'loopDelayP99',
      below: 0.32,
      why: 'the main thread is not busy, it waits; what delay there is comes from four crypto threads sharing the CPU with it',
    },
  ],
  quick: { phases: { baseline: { durationSeconds: 3 }, fault: { durationSeconds: 8 } } },
});
