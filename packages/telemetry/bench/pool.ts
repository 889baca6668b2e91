// Pool metrics vs piscina 5's own: utilization of a saturated and a half-busy pool, and the run
// time of a task whose result arrives while the main loop is blocked.
// Usage: node packages/telemetry/dist/bench/pool.js
import Fastify from 'fastify';
import { Piscina } from 'piscina';
import { parseExposition, sumOf } from '@runtime-lab/scrape';
import telemetry from '../src/index.js';
import { fmt, sleep } from './lib.js';

const app = Fastify();
await app.register(telemetry, { watchdog: false, http: false, threadpoolCanary: false, defaultMetrics: false });
await app.ready();
const pool = new Piscina({ filename: new URL('./pool-task.js', import.meta.url).href, minThreads: 2, maxThreads: 2, idleTimeout: 60_000 });
const instrumented = app.telemetry.instrumentPool('bench', pool);
const read = async (name: string): Promise<number> =>
  sumOf(parseExposition(await app.telemetry.registry.metrics()), name, { pool: 'bench' }) ?? Number.NaN;

/** Keeps `inFlight` 20 ms tasks running for `ms`. */
async function keepBusy(inFlight: number, ms: number): Promise<void> {
  const until = performance.now() + ms;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) await instrumented.run({ ms: 20 });
    }),
  );
}

try {
  await Promise.all([instrumented.run({ ms: 1 }), instrumented.run({ ms: 1 })]); // threads up
  console.log('Pool utilization (2 threads, 20 ms CPU tasks; ours = busy / (threads x wall) over the last 1 s):');
  for (const [label, inFlight] of [
    ['saturated (4 tasks in flight)', 4],
    ['half busy (1 task in flight)', 1],
  ] as const) {
    await keepBusy(inFlight, 3200);
    console.log(
      `  ${label.padEnd(30)} runtime_pool_utilization_ratio ${fmt(await read('runtime_pool_utilization_ratio'), 3)}   piscina.utilization ${pool.utilization}`,
    );
    await sleep(2100); // a full utilization interval with nothing running
  }
  console.log(
    `  ${'idle for 2 s'.padEnd(30)} runtime_pool_utilization_ratio ${fmt(await read('runtime_pool_utilization_ratio'), 3)}   piscina.utilization ${pool.utilization}`,
  );

  console.log('\nRun time of one 50 ms task whose result arrives while the main loop is blocked for 500 ms:');
  pool.histogram.resetRunTime();
  const runBefore = await read('runtime_pool_run_seconds_sum');
  const task = instrumented.run({ ms: 50 });
  const end = performance.now() + 500;
  while (performance.now() < end) {
    // the main loop is busy while the worker finishes
  }
  await task;
  const ours = ((await read('runtime_pool_run_seconds_sum')) - runBefore) * 1000;
  console.log(`  runtime_pool_run_seconds (measured in the worker): ${fmt(ours, 1)} ms`);
  console.log(`  piscina histogram.runTime.max:                     ${fmt(pool.histogram.runTime.max, 1)} ms`);
} finally {
  await app.close();
  await pool.destroy();
}
