// Benchmark: the open-loop sender's capacity. For each rate, how far its actual send times
// drift from the schedule (send-schedule error), the rate it achieved and the CPU it used;
// then, against the same server process, autocannon's closed-loop maximum, the ceiling any
// client on this machine could reach on that route. The server runs in a child process (a
// trivial Node http route answering "{}"), so its work is not charged to the sender; its CPU is
// printed too, since on 2 cores the two compete.
// Usage: node scenarios/dist/src/bench/schedule-error.js [rates=1000,3000,6000,10000,12000] [seconds=8]
// (inside netns-run: loopback only). Target (issue 13): >= 10 000 req/s at p99 <= 2 ms.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { build } from 'hdr-histogram-js';
import { OpenLoopStream, constantRate, warmSocketsFor } from '../load/open-loop.js';

const rates = (process.argv[2] ?? '1000,3000,6000,10000,12000').split(',').map(Number);
const seconds = Number(process.argv[3] ?? 8);
const AUTOCANNON_SECONDS = 5;
const AUTOCANNON_CONNECTIONS = 10;

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

async function openLoop(rate: number): Promise<string> {
  const scheduleError = build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  const latency = build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  let notOk = 0;
  const stream = new OpenLoopStream({
    url,
    method: 'GET',
    timeoutMs: 2000,
    durationMs: seconds * 1000,
    segments: constantRate(rate),
    // As the runner's probe does: keep-alive sockets opened before the schedule.
    warmup: { path: '/', sockets: warmSocketsFor(rate) },
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
  await stream.done();
  const wallSeconds = (performance.now() - wallBefore) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const serverCpu = serverCpuSeconds() - serverBefore;
  const sent = scheduleError.totalCount;
  return [
    `${String(rate).padStart(6)} req/s`,
    `achieved ${(sent / seconds).toFixed(0).padStart(6)}/s (${sent - (sent - notOk)} not ok, ${stream.openSockets} warm sockets)`,
    `send error p50 ${ms(scheduleError.getValueAtPercentile(50))} p99 ${ms(scheduleError.getValueAtPercentile(99))} max ${ms(scheduleError.maxValue)} ms`,
    `latency p99 ${ms(latency.getValueAtPercentile(99))} ms`,
    `sender CPU ${pct((cpu.user + cpu.system) / 1e6, wallSeconds)}, server CPU ${pct(serverCpu, wallSeconds)}`,
  ].join(' | ');
}

console.log(`open-loop sender capacity against ${url} (a trivial route in a child process), ${seconds} s per rate`);
console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (2 cores)`);
for (const rate of rates) console.log(await openLoop(rate));

const serverBefore = serverCpuSeconds();
const closed = await autocannon({ url, connections: AUTOCANNON_CONNECTIONS, duration: AUTOCANNON_SECONDS });
const serverCpu = serverCpuSeconds() - serverBefore;
console.log(
  `autocannon closed loop, ${AUTOCANNON_CONNECTIONS} connections, ${AUTOCANNON_SECONDS} s, same server: ` +
    `${(closed.requests.total / AUTOCANNON_SECONDS).toFixed(0)} req/s (mean ${closed.requests.average.toFixed(0)}/s), ` +
    `latency p99 ${closed.latency.p99} ms, server CPU ${pct(serverCpu, AUTOCANNON_SECONDS)}`,
);
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
server.kill();
