// Benchmark: the open-loop sender's capacity. For each rate, how far its actual send times
// drift from the schedule (send-schedule error), the rate it achieved and the CPU it used;
// then, against the same server process, autocannon's closed-loop maximum, the ceiling any
// client on this machine could reach on that route. The server runs in a child process (a
// trivial Node http route answering "{}"), so its work is not charged to the sender; its CPU is
// printed too, since on 2 cores the two compete.
// Usage: node scenarios/dist/src/bench/schedule-error.js [rates=1000,3000,6000,10000,12000] [seconds=8] [threads=1, e.g. 1,2]
//   [warm-socket caps=1024, e.g. 256,1024]
// (inside netns-run: loopback only). Target (issue 13): >= 10 000 req/s at p99 <= 2 ms.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { build } from 'hdr-histogram-js';
import { OpenLoopClient } from '../load/open-loop-client.js';
import { OpenLoopStream, constantRate, warmSocketsFor } from '../load/open-loop.js';

const rates = (process.argv[2] ?? '1000,3000,6000,10000,12000').split(',').map(Number);
const seconds = Number(process.argv[3] ?? 8);
/**
 * Above the runner's own 256: at 10 000 req/s, 256 sockets cover 26 ms of answers, and a longer
 * hiccup opens hundreds of connections at once (see docs/measurement.md).
 */
const DEFAULT_WARM_CAP = 1024;
/** Sender threads to compare, e.g. "1,2" (default 1, as the runner). */
const threadCounts = process.argv[4]?.split(',').map(Number) ?? [1];
/** Caps on the pre-opened sockets to compare, e.g. "256,1024" (2 s of the rate in flight, at most this). */
const warmCaps = process.argv[5]?.split(',').map(Number) ?? [DEFAULT_WARM_CAP];
const AUTOCANNON_SECONDS = 5;
const AUTOCANNON_CONNECTIONS = 10;
const CPU_PROBE_REQUESTS = 20_000;
/** Past the schedule's end, how long a rate may take to settle its requests (timeouts are 2 s). */
const DRAIN_SECONDS = 6;
const CPU_PROBE_IN_FLIGHT = 8;

const server = spawn(
  process.execPath,
  ['-e', "const s=require('http').createServer((q,r)=>r.end('{}')).listen(0,'127.0.0.1',()=>console.log(s.address().port))"],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const [line] = (await once(server.stdout, 'data')) as [Buffer];
const port = Number(line.toString().trim());
const url = `http://127.0.0.1:${port}/`;

/** The server process's CPU time so far (s), from /proc (Linux). */
function serverCpuSeconds(): number {
  const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const ms = (us: number): string => (us / 1000).toFixed(2);
const pct = (cpuSeconds: number, wallSeconds: number): string => `${((cpuSeconds / wallSeconds) * 100).toFixed(0)}%`;

async function openLoop(rate: number, threads: number, warmCap: number): Promise<string> {
  const scheduleError = build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  const latency = build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  let notOk = 0;
  const stream = new OpenLoopStream({
    url,
    method: 'GET',
    timeoutMs: 2000,
    durationMs: seconds * 1000,
    segments: constantRate(rate),
    threads,
    // As the runner's probe does: keep-alive sockets opened before the schedule.
    warmup: { path: '/', sockets: warmSocketsFor(rate, warmCap) },
    onRecords: (records) => {
      for (const r of records) {
        scheduleError.recordValue(Math.max(1, Math.round(r.sendErrorMs * 1000)));
        latency.recordValue(Math.max(1, Math.round(r.latencyMs * 1000)));
        if (r.outcome !== 'ok') notOk += 1;
      }
    },
  });
  await stream.ready();
  const cpuBefore = process.cpuUsage();
  const serverBefore = serverCpuSeconds();
  const wallBefore = performance.now();
  stream.start(Date.now() + 50);
  // Bounded: a sender that collapsed (each late burst of new connections overflowing the server's
  // accept queue) can take minutes to settle every request; it is stopped and said so.
  const drained = await Promise.race([
    stream.done().then(() => true),
    new Promise<boolean>((resolve) => setTimeout(resolve, (seconds + DRAIN_SECONDS) * 1000, false).unref()),
  ]);
  if (!drained) await stream.kill();
  const wallSeconds = (performance.now() - wallBefore) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const serverCpu = serverCpuSeconds() - serverBefore;
  const sent = scheduleError.totalCount;
  return [
    `${String(rate).padStart(6)} req/s, ${stream.threads} thread${stream.threads === 1 ? '' : 's'}`,
    drained
      ? `achieved ${(sent / seconds).toFixed(0).padStart(6)}/s (${notOk} not ok, ${stream.openSockets} warm sockets)`
      : `collapsed: requests still unsettled when stopped; ${sent} reported (${notOk} not ok), the figures below are theirs`,
    `send error p50 ${ms(scheduleError.getValueAtPercentile(50))} p99 ${ms(scheduleError.getValueAtPercentile(99))} max ${ms(scheduleError.maxValue)} ms`,
    `latency p99 ${ms(latency.getValueAtPercentile(99))} ms`,
    `sender CPU ${pct((cpu.user + cpu.system) / 1e6, wallSeconds)} (${((cpu.user + cpu.system) / sent).toFixed(0)} µs/request), server CPU ${pct(serverCpu, wallSeconds)}`,
    drained ? `${stream.connectionsOpened} connections opened` : `not settled ${DRAIN_SECONDS} s after the schedule: stopped`,
  ].join(' | ');
}

console.log(`open-loop sender capacity against ${url} (a trivial route in a child process), ${seconds} s per rate`);
console.log(
  `load average before: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (2 cores)`,
);
for (const rate of rates) {
  for (const threads of threadCounts) {
    for (const warmCap of warmCaps) console.log(await openLoop(rate, threads, warmCap));
  }
}

const serverBefore = serverCpuSeconds();
const closed = await autocannon({ url, connections: AUTOCANNON_CONNECTIONS, duration: AUTOCANNON_SECONDS });
const serverCpu = serverCpuSeconds() - serverBefore;
console.log(
  `autocannon closed loop, ${AUTOCANNON_CONNECTIONS} connections, ${AUTOCANNON_SECONDS} s, same server: ` +
    `${(closed.requests.total / AUTOCANNON_SECONDS).toFixed(0)} req/s (mean ${closed.requests.average.toFixed(0)}/s), ` +
    `latency p99 ${closed.latency.p99} ms, server CPU ${pct(serverCpu, AUTOCANNON_SECONDS)}`,
);
/**
 * CPU per request of a client (µs, this process), sending CPU_PROBE_REQUESTS with
 * CPU_PROBE_IN_FLIGHT always in flight (closed loop: a client's cost, not a schedule).
 */
async function clientCpu(send: (done: () => void) => void): Promise<number> {
  const before = process.cpuUsage();
  let started = 0;
  await new Promise<void>((resolve) => {
    let finished = 0;
    const next = (): void => {
      if (started >= CPU_PROBE_REQUESTS) return;
      started += 1;
      send(() => {
        finished += 1;
        if (finished === CPU_PROBE_REQUESTS) resolve();
        else next();
      });
    };
    for (let i = 0; i < CPU_PROBE_IN_FLIGHT; i += 1) next();
  });
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / CPU_PROBE_REQUESTS;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, scheduling: 'fifo' });
const nodeHttpUs = await clientCpu((done) => {
  const req = http.request(url, { agent, headers: { 'x-request-start': String(Date.now()) } }, (res) => {
    res.on('end', done);
    res.resume();
  });
  req.on('error', done);
  req.end();
});
agent.destroy();
const nowEpochMs = (): number => performance.timeOrigin + performance.now();
const own = new OpenLoopClient({ host: '127.0.0.1', port, timeoutMs: 2000, connection: 'keep-alive', now: nowEpochMs });
const ownUs = await clientCpu((done) =>
  own.send(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Request-Start: ${Date.now()}\r\n\r\n`, false, nowEpochMs(), done),
);
own.close();
console.log(
  `client CPU per request (${CPU_PROBE_REQUESTS} requests, ${CPU_PROBE_IN_FLIGHT} in flight, this process): ` +
    `node:http keep-alive agent ${nodeHttpUs.toFixed(0)} µs, the sender's client ${ownUs.toFixed(0)} µs`,
);
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
server.kill();
