// Executor saturation: POST /api/report under closed-loop pressure with the report pool at 1
// thread x 200 ms tasks, then with larger-pool, then with load-shedding (bounded pool queue).
// /api/orders is probed open-loop to show the main loop stays free.
// Run: node services/api/dist/bench/executor.js [--phase-seconds 8]
import { type ExecutorFigures, measureExecutor } from '../measure/experiments.js';
import { startLab } from '@runtime-lab/test-kit';
import { phaseMsFromArgs, printTable } from './print.js';

const phaseMs = phaseMsFromArgs(8);
const lab = await startLab();
const rows: ExecutorFigures[] = [];
try {
  const common = { connections: 8, phaseMs, probeRate: 20 };
  const fault = { 'executor-saturation': { threads: 1, taskMs: 200 } };
  rows.push(await measureExecutor(lab, { label: 'healthy (2 threads, 20 ms)', toggles: {}, ...common }));
  rows.push(await measureExecutor(lab, { label: 'executor-saturation', toggles: fault, ...common }));
  rows.push(await measureExecutor(lab, { label: '+ larger-pool (4)', toggles: { ...fault, 'larger-pool': { threads: 4 } }, ...common }));
  rows.push(
    await measureExecutor(lab, {
      label: '+ load-shedding (queue 2)',
      toggles: { ...fault, 'load-shedding': { maxPoolQueue: 2 } },
      ...common,
    }),
  );
} finally {
  await lab.stop();
}
printTable(`executor saturation, 8 connections on POST /api/report, probe 20/s on /api/orders, ${phaseMs / 1000} s per phase`, rows);
