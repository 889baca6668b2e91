// Shared pieces of the benchmarks: the app in a child process, a keep-alive HTTP client with a
// timeout, a clock comparable with the app's, and small statistics.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import type { TelemetryOptions } from '../src/index.js';

/** process.hrtime (CLOCK_MONOTONIC) in ms: the same clock in every process on this machine. */
export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface RunningApp {
  pid: number;
  appUrl: string;
  watchdogUrl: string | undefined;
  stop(): Promise<void>;
}

export async function startApp(
  plugin: boolean,
  options: TelemetryOptions = {},
  pinCpu?: number,
  extra: { bigSeries?: number; bigKind?: 'histogram' | 'counter' | 'summary' } = {},
): Promise<RunningApp> {
  const script = new URL('./app.js', import.meta.url).pathname;
  // Pinned to one CPU when taskset exists, so two apps compared with each other run on the same
  // core instead of wherever the scheduler put each (a large source of spread on 2 cores).
  const [command, args] =
    pinCpu === undefined ? [process.execPath, [script]] : ['taskset', ['-c', String(pinCpu), process.execPath, script]];
  const child: ChildProcess = spawn(command, args, {
    env: { ...process.env, BENCH_APP: JSON.stringify({ plugin, options, ...extra }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    if (!child.stdout) return reject(new Error('bench app has no stdout'));
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench app exited with code ${code} before listening`)));
  });
  const { appPort, watchdogPort } = JSON.parse(line) as { appPort: number; watchdogPort: number | null };
  return {
    pid: child.pid ?? 0,
    appUrl: `http://127.0.0.1:${appPort}`,
    watchdogUrl: watchdogPort ? `http://127.0.0.1:${watchdogPort}` : undefined,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface GetResult {
  sentMs: number;
  doneMs: number;
  latencyMs: number;
  status?: number;
  body?: string;
  error?: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export function get(url: string, timeoutMs = 5000, headers: Record<string, string> = {}): Promise<GetResult> {
  const sentMs = nowMs();
  return new Promise((resolve) => {
    const done = (extra: Partial<GetResult>): void => {
      const doneMs = nowMs();
      resolve({ sentMs, doneMs, latencyMs: doneMs - sentMs, ...extra });
    };
    const req = request(url, { agent, timeout: timeoutMs, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (error) => done({ error: error.message }));
    req.end();
  });
}

/** Open-loop poller: starts a GET every intervalMs until stop(), whether or not earlier ones answered. */
export function pollOpenLoop(url: string, intervalMs: number, timeoutMs: number): { stop(): Promise<GetResult[]> } {
  const pending: Promise<GetResult>[] = [];
  const startMs = nowMs();
  let n = 0;
  let timer: NodeJS.Timeout;
  const tick = (): void => {
    pending.push(get(url, timeoutMs));
    n += 1;
    // Scheduled against the start time, so a slow tick does not shift the schedule.
    timer = setTimeout(tick, Math.max(0, startMs + n * intervalMs - nowMs()));
  };
  tick();
  return {
    async stop() {
      clearTimeout(timer);
      return Promise.all(pending);
    },
  };
}

/** Closed-loop scraper, like Prometheus: one request at a time, the next intervalMs after the last started. */
export function scrapeLoop(url: string, intervalMs: number, timeoutMs: number, phaseMs = 0): { stop(): Promise<GetResult[]> } {
  const results: GetResult[] = [];
  let running = true;
  const loop = (async () => {
    await sleep(phaseMs);
    while (running) {
      const started = nowMs();
      results.push(await get(url, timeoutMs));
      await sleep(Math.max(0, started + intervalMs - nowMs()));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return results;
    },
  };
}

/**
 * CPU time (user + system, all threads) a process has used, in ms, from /proc (Linux). Unlike
 * throughput, it does not depend on how much CPU other work on a shared machine leaves us.
 */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}
// sysconf(_SC_CLK_TCK): 100 on every Linux build Node supports.
const CLOCK_TICKS_PER_SECOND = 100;

/** The last CPU, when `taskset` is available to pin a process to it. */
export function lastCpuIfPinnable(): number | undefined {
  const probe = spawnSync('taskset', ['-c', '0', 'true']);
  return probe.status === 0 ? availableParallelism() - 1 : undefined;
}

export function percentile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

export const median = (values: number[]): number => percentile(values, 0.5);

export function fmt(value: number | undefined, digits = 0): string {
  return value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);
}
