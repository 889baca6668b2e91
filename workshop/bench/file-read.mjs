// What the file-read exercise's handlers cost the event loop, measured on this machine: the planted
// readFileSync + split, the same with fs/promises readFile (only the read leaves the loop), and the
// reference fix's positioned reads of the file's end. Prints the median of N runs of each.
// Usage: node workshop/bench/file-read.mjs [runs=5]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeActivityLog } from '../exercise-service/fixtures.mjs';

const runs = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'lab-bench-file-read-'));
const log = join(dir, 'activity.log');
writeActivityLog(log);

/** Wall time of `work` and the longest gap between two turns of the loop while it ran (ms). */
async function loopCost(work) {
  let last = performance.now();
  let longest = 0;
  let on = true;
  const turn = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (on) setImmediate(turn);
  };
  setImmediate(turn);
  const start = performance.now();
  await work();
  const wall = performance.now() - start;
  on = false;
  await new Promise((resolve) => setImmediate(resolve));
  return { wall, longest };
}

async function tail(path, count) {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const length = Math.min(16 * 1024, size);
    const chunk = Buffer.alloc(length);
    await file.read(chunk, 0, length, size - length);
    return chunk.toString('utf8').trimEnd().split('\n').slice(-count);
  } finally {
    await file.close();
  }
}

const cases = {
  'readFileSync, buffer only': async () => readFileSync(log),
  'readFileSync + decode + split (planted)': async () => readFileSync(log, 'utf8').trimEnd().split('\n').slice(-20),
  'await readFile + decode + split': async () => (await readFile(log, 'utf8')).trimEnd().split('\n').slice(-20),
  'positioned read of the last 16 KiB (fix)': () => tail(log, 20),
};
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const [name, work] of Object.entries(cases)) {
  await loopCost(work); // warm-up
  const results = [];
  for (let i = 0; i < runs; i += 1) results.push(await loopCost(work));
  const wall = median(results.map((r) => r.wall));
  const longest = median(results.map((r) => r.longest));
  console.log(`${name.padEnd(44)} wall ${wall.toFixed(1).padStart(7)} ms   longest loop stall ${longest.toFixed(1).padStart(7)} ms`);
}
rmSync(dir, { recursive: true, force: true });
