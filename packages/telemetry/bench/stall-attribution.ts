// Stall attribution, measured in this process (its main thread is the one that blocks):
//
// 1. Onset to stack: N stalls of 400 ms at the default 100 ms threshold; for each, the time from
//    the last heartbeat before the stall to the first captured stack (firstStackAfterMs), and
//    that minus the threshold (detection by the 25 ms poll + delivery of the V8 interrupt).
// 2. Cost per capture: a fixed amount of CPU work holds the loop, with attribution sampling
//    every 20 ms (up to 100 captures) or off, in alternating rounds. The process's CPU time
//    (both threads: the interrupt on the main thread, the session and source mapping in the
//    watchdog) during the work, on minus off, divided by the captures taken. CPU time rather
//    than wall time because on a shared machine the OS's preemptions dwarf a capture; the wall
//    time difference is printed too.
//
// Throughput with attribution on and no stall: overhead.js with a baseline (see docs/measurement.md).
// Usage: node packages/telemetry/dist/bench/stall-attribution.js [stalls=10] [rounds=6] [workMs=1500]
import Fastify, { type FastifyInstance } from 'fastify';
import telemetry, { type StallsSnapshot, type TelemetryOptions } from '../src/index.js';
import { fmt, median, sleep } from './lib.js';

const stallCount = Number(process.argv[2] ?? 10);
const rounds = Number(process.argv[3] ?? 6);
const workMs = Number(process.argv[4] ?? 1500);

async function start(options: TelemetryOptions): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify();
  await app.register(telemetry, { defaultMetrics: false, watchdog: { port: 0 }, ...options });
  await app.ready();
  return { app, url: `http://127.0.0.1:${app.telemetry.watchdogAddress()?.port}` };
}

async function snapshot(url: string): Promise<StallsSnapshot> {
  return (await (await fetch(`${url}/stalls`)).json()) as StallsSnapshot;
}

function holdTheLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // a synchronous stall
  }
}

let sink = 0;
/** Fixed arithmetic: the same CPU work whatever else happens. */
function fixedWork(iterations: number): number {
  let x = sink;
  for (let i = 0; i < iterations; i++) x = (x * 1103515245 + 12345) % 2147483648;
  sink = x;
  return x;
}

// The main thread's own CPU time: process.threadCpuUsage exists from Node 23.9 (24 and 26 here),
// not on 22; where absent only the process's total is reported.
type CpuUsage = { user: number; system: number };
const threadCpuUsage = (process as unknown as { threadCpuUsage?: (previous?: CpuUsage) => CpuUsage }).threadCpuUsage?.bind(process);

function measure(iterations: number): { wallMs: number; cpuMs: number; mainCpuMs: number | undefined } {
  const cpu = process.cpuUsage();
  const mainCpu = threadCpuUsage?.();
  const started = performance.now();
  fixedWork(iterations);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const mainUsed = mainCpu ? threadCpuUsage?.(mainCpu) : undefined;
  return { wallMs, cpuMs: (used.user + used.system) / 1000, mainCpuMs: mainUsed ? (mainUsed.user + mainUsed.system) / 1000 : undefined };
}

function calibrate(ms: number): number {
  let iterations = 1_000_000;
  for (;;) {
    const { wallMs } = measure(iterations);
    if (wallMs >= 100) return Math.round((iterations * ms) / wallMs);
    iterations *= 4;
  }
}

// 1. Onset to stack at the defaults.
{
  const { app, url } = await start({ stallAttribution: { logIntervalMs: 3_600_000, recentStalls: 1000 } });
  const firsts: number[] = [];
  for (let i = 0; i < stallCount; i++) {
    await sleep(300);
    const fromMs = Date.now();
    holdTheLoop(400);
    await sleep(300);
    // The longest stall that began with the block (the OS can add short stalls of its own).
    const stall = (await snapshot(url)).recent
      .filter((s) => Date.parse(s.startedAt) >= fromMs - 50 && Date.parse(s.startedAt) <= fromMs + 400)
      .sort((a, b) => b.durationSeconds - a.durationSeconds)[0];
    if (stall?.firstStackAfterMs != null && stall.frame?.function === 'holdTheLoop') firsts.push(stall.firstStackAfterMs);
    else console.log(`stall ${i + 1}: not attributed to holdTheLoop: ${JSON.stringify(stall)}`);
  }
  await app.close();
  console.log(
    `Node ${process.version}: onset to stack, ${firsts.length}/${stallCount} stalls of 400 ms attributed to holdTheLoop, threshold 100 ms:`,
  );
  console.log(
    `  last heartbeat -> first stack: median ${fmt(median(firsts), 1)} ms, max ${fmt(Math.max(...firsts), 1)} ms; ` +
      `beyond the threshold (poll + interrupt delivery): median ${fmt(median(firsts) - 100, 1)} ms, max ${fmt(Math.max(...firsts) - 100, 1)} ms`,
  );
}

// 2. Cost per capture.
{
  const iterations = calibrate(workMs);
  const on: Array<ReturnType<typeof measure> & { captures: number }> = [];
  const off: Array<ReturnType<typeof measure>> = [];
  for (let round = 0; round < rounds; round++) {
    for (const attribution of round % 2 ? [true, false] : [false, true]) {
      const { app, url } = await start(
        attribution ? { stallAttribution: { thresholdMs: 20, maxSamplesPerStall: 100, logIntervalMs: 3_600_000 } } : {},
      );
      await sleep(300);
      const fromMs = Date.now();
      const result = measure(iterations);
      await sleep(300);
      if (attribution) {
        // The longest stall that began with the work (20 ms stalls of the idle app may be listed too).
        const stall = (await snapshot(url)).recent
          .filter((s) => Date.parse(s.startedAt) >= fromMs - 50)
          .sort((a, b) => b.durationSeconds - a.durationSeconds)[0];
        on.push({ ...result, captures: stall?.samples ?? 0 });
      } else {
        off.push(result);
      }
      await app.close();
    }
  }
  const captures = median(on.map((r) => r.captures));
  const cpuExtra = median(on.map((r) => r.cpuMs)) - median(off.map((r) => r.cpuMs));
  const wallExtra = median(on.map((r) => r.wallMs)) - median(off.map((r) => r.wallMs));
  console.log(`Cost per capture: ${rounds} rounds of fixed work (~${workMs} ms), attribution sampling every 20 ms vs off:`);
  console.log(
    `  captures per round (median) ${captures}; process CPU on ${fmt(median(on.map((r) => r.cpuMs)))} ms, off ${fmt(median(off.map((r) => r.cpuMs)))} ms; ` +
      `wall on ${fmt(median(on.map((r) => r.wallMs)))} ms, off ${fmt(median(off.map((r) => r.wallMs)))} ms`,
  );
  console.log(
    `  per capture: CPU ${captures ? fmt(cpuExtra / captures, 3) : '-'} ms, wall ${captures ? fmt(wallExtra / captures, 3) : '-'} ms ` +
      '(differences of medians; negative or noisy figures mean the cost is below what this machine can resolve)',
  );
  if (threadCpuUsage && captures) {
    const mainExtra = median(on.map((r) => r.mainCpuMs ?? 0)) - median(off.map((r) => r.mainCpuMs ?? 0));
    console.log(`  main thread's own CPU per capture (process.threadCpuUsage): ${fmt(mainExtra / captures, 3)} ms`);
  }
}
