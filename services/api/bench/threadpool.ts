// Threadpool saturation: GET /api/hash under closed-loop pressure while GET /api/config (an
// async file read, also on the libuv threadpool) is probed open-loop; then with offload.
// Run: UV_THREADPOOL_SIZE=4 node services/api/dist/bench/threadpool.js [--phase-seconds 8]
import { measureThreadpool, type ThreadpoolFigures } from '../measure/experiments.js';
import { startLab } from '@runtime-lab/test-kit';
import { phaseMsFromArgs, printTable } from './print.js';

const phaseMs = phaseMsFromArgs(8);
const lab = await startLab({ UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '4' });
const rows: ThreadpoolFigures[] = [];
try {
  const common = { connections: 4, phaseMs, probeRate: 10 };
  const fault = { 'threadpool-saturation': { jobsPerRequest: 4, iterations: 100_000, concurrency: 4 } };
  rows.push(await measureThreadpool(lab, { label: 'healthy', toggles: {}, ...common }));
  rows.push(await measureThreadpool(lab, { label: 'threadpool-saturation', toggles: fault, ...common }));
  rows.push(await measureThreadpool(lab, { label: '+ offload', toggles: { ...fault, offload: {} }, ...common }));
} finally {
  await lab.stop();
}
printTable(
  `threadpool saturation, 4 connections on /api/hash (4 x pbkdf2 100k), probe 10/s on /api/config, ${phaseMs / 1000} s per phase`,
  rows,
);
