// piscina worker for the report and offload pools. Timed by the telemetry wrapper (`measured`),
// which measures start/end inside the worker so wait and run time are exact.
import { pbkdf2Sync } from 'node:crypto';
import { workerData } from 'node:worker_threads';
import { measured } from '@runtime-lab/telemetry/pool-worker';
import { runBlockingWork, spinCpu, type StopFlag } from '../faults/blocking-work.js';
import type { HashResult, PoolTask, PoolWorkerData, ReportResult } from './tasks.js';

const stop: StopFlag = new Int32Array((workerData as PoolWorkerData).stop);

async function handle(task: PoolTask): Promise<ReportResult | HashResult | undefined> {
  switch (task.kind) {
    case 'report': {
      spinCpu(task.taskMs, stop);
      let checksum = 0;
      for (let row = 0; row < task.rows; row++) checksum = (checksum * 31 + row) % 1_000_003;
      return { rows: task.rows, checksum, taskMs: task.taskMs };
    }
    case 'block':
      // In a worker nothing else is waiting on this thread, so the controls (chunked,
      // child-process) have nothing to protect: they become the plain CPU burn they stand for.
      await runBlockingWork(task.mode === 'chunked' || task.mode === 'child-process' ? 'cpu' : task.mode, task.durationMs, stop);
      return undefined;
    case 'hash':
      return { hash: pbkdf2Sync('runtime-lab', task.salt, task.iterations, 32, 'sha512').toString('hex') };
  }
}

export default measured(handle);
