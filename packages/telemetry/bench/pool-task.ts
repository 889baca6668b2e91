// piscina worker for bench/pool.ts: a CPU-bound task of task.ms milliseconds.
import { measured } from '../src/pool-worker.js';

export default measured((task: { ms: number }) => {
  const end = performance.now() + task.ms;
  while (performance.now() < end) {
    // CPU-bound on purpose
  }
  return task.ms;
});
