import { defineScenario, type LoadStream } from '../define.js';

const ORDERS: LoadStream = { kind: 'pressure', name: 'orders', route: '/api/orders', connections: 2 };

// "It's async, so it can't block": an async chain that never yields to I/O holds the loop
// exactly like a synchronous spin, because microtasks all run before the loop polls again.
export default defineScenario({
  name: 'blocking-microtask',
  title: 'Async on the surface: a microtask chain that never yields',
  description:
    'The same blocking fault in microtask mode: the work is an async function awaiting already-resolved promises. It looks non-blocking in code review and stalls the loop just the same.',
  guide: 'blocking-microtask.md',
  phases: [
    { name: 'baseline', durationSeconds: 6, streams: [ORDERS] },
    {
      name: 'fault',
      durationSeconds: 15,
      faults: { blocking: { mode: 'microtask', durationMs: 600, fraction: 1, routes: ['orders'] } },
      streams: [ORDERS],
    },
    { name: 'recovery', durationSeconds: 6, settleSeconds: 2, streams: [ORDERS] },
  ],
  expectations: [
    {
      phase: 'fault',
      signal: 'loopDelayP99',
      above: 0.32,
      why: 'microtasks run to completion before the loop can poll for I/O: chains of 600 ms or more back to back, so for over 1 % of the time a ready task waited more than 320 ms (the 640–1280 ms bucket when the chain runs long)',
    },
    { phase: 'fault', signal: 'probeP99', above: 0.3, why: 'the probe waits behind the chain' },
    { phase: 'fault', signal: 'serverP99', below: 0.05, why: 'the server-side clock starts after the wait' },
    { phase: 'recovery', signal: 'probeP99', below: { phase: 'fault', factor: 0.1 } },
  ],
  quick: { phases: { baseline: { durationSeconds: 3 }, fault: { durationSeconds: 7 }, recovery: { durationSeconds: 4 } } },
});
