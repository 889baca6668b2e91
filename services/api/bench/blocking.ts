// Blocking the loop: /api/ping as the bystander while /api/orders does 200 ms of work per
// request, in each mode, and with the offload mitigation.
// Run: node services/api/dist/bench/blocking.js [--phase-seconds 8]
import { type BlockingFigures, measureBlocking } from '../measure/experiments.js';
import { startLab } from '@runtime-lab/test-kit';
import { phaseMsFromArgs, printTable } from './print.js';

const phaseMs = phaseMsFromArgs(8);
const lab = await startLab();
const rows: BlockingFigures[] = [];
try {
  const common = { connections: 4, phaseMs, probeRate: 20 };
  const blocking = (mode: string) => ({ blocking: { mode, durationMs: 200, routes: ['orders'] } });
  rows.push(await measureBlocking(lab, { label: 'healthy', toggles: {}, ...common }));
  for (const mode of ['cpu', 'sleep', 'sync-io', 'json', 'regex', 'microtask', 'chunked', 'child-process']) {
    rows.push(await measureBlocking(lab, { label: mode, toggles: blocking(mode), ...common }));
  }
  rows.push(await measureBlocking(lab, { label: 'cpu + offload', toggles: { ...blocking('cpu'), offload: {} }, ...common }));
} finally {
  await lab.stop();
}
printTable(
  `blocking, 200 ms per /api/orders request, 4 connections on orders, probe 20/s on /api/ping, ${phaseMs / 1000} s per phase`,
  rows,
);
