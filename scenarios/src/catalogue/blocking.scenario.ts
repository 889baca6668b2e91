import { defineScenario, type LoadStream } from '../define.js';

/** The flagship's fault, which blocking-offload runs again with the mitigation on. */
export const CPU_BLOCKING = { blocking: { mode: 'cpu', durationMs: 600, fraction: 1, routes: ['orders'] } };
const ORDERS: LoadStream = { kind: 'pressure', name: 'orders', route: '/api/orders', connections: 1 };

// The flagship. Every /api/orders request spins the CPU on the main thread for 600 ms, and one
// closed-loop connection sends the next as soon as the last is answered, so the loop is held
// almost all the time. /api/ping has nothing to do with it and still waits, often for several
// stalls (a request needs more than one loop turn); the server, whose clock starts only once
// the loop picks the request up, reports it as fast.
export default defineScenario({
  name: 'blocking',
  title: 'Blocking the event loop: 200 OK, calm server P99, collapsing runtime',
  description:
    'Synchronous CPU work in /api/orders holds the event loop. The open-loop probe on /api/ping sees every stall in full, the server-side histogram of the same route stays calm, and loop delay tells the truth.',
  guide: 'blocking.md',
  phases: [
    { name: 'baseline', durationSeconds: 8, settleSeconds: 1, streams: [ORDERS] },
    { name: 'fault', durationSeconds: 20, faults: CPU_BLOCKING, streams: [ORDERS] },
    { name: 'recovery', durationSeconds: 8, settleSeconds: 2, streams: [ORDERS] },
  ],
  expectations: [
    { phase: 'baseline', signal: 'probeP99', below: 0.1, why: 'healthy before the fault' },
    {
      phase: 'fault',
      signal: 'loopDelayMax',
      stat: 'min',
      above: 0.5,
      why: 'every second of the fault, the loop had been held for over 500 ms within the last few seconds (the gauge, exact)',
    },
    {
      phase: 'fault',
      signal: 'loopDelayP99',
      above: 0.32,
      why: '600 ms blocks hold the loop almost all the time: for 1 % of it a ready task waited ~590 ms or more, the 320–640 ms bucket (640–1280 ms when the spins run long on a busy machine)',
    },
    { phase: 'fault', signal: 'probeP99', above: 0.5, why: 'a probe request that arrives during a stall waits for it to end' },
    {
      phase: 'fault',
      signal: 'coldProbeP99',
      above: 1,
      why: 'a new connection also waits in the accept queue: the loop accepts one connection per turn, and each turn holds a 600 ms block',
    },
    {
      phase: 'fault',
      signal: 'serverP99',
      below: 0.05,
      why: 'the server-side histogram starts at onRequest, after the wait: /api/ping looks as fast as ever',
    },
    { phase: 'recovery', signal: 'probeP99', below: { phase: 'fault', factor: 0.1 }, why: 'the stalls end with the fault' },
  ],
  quick: { phases: { baseline: { durationSeconds: 3 }, fault: { durationSeconds: 8 }, recovery: { durationSeconds: 4 } } },
});
