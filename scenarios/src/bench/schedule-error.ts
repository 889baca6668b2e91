// Benchmark: how far the open-loop probe's actual send times drift from its schedule.
// Starts an idle HTTP server in a child process (so the server's work cannot disturb the
// measurement), drives it at a constant rate and prints the send-schedule error
// percentiles plus the runner's own CPU use. Target: p99 <= 2 ms at 200 req/s.
// Usage: node scenarios/dist/src/bench/schedule-error.js [ratePerSecond=200] [seconds=10]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { build } from 'hdr-histogram-js';
import { OpenLoopStream, constantRate, warmSocketsFor } from '../load/open-loop.js';

const rate = Number(process.argv[2] ?? 200);
const seconds = Number(process.argv[3] ?? 10);

const server = spawn(
  process.execPath,
  ['-e', "const s=require('http').createServer((q,r)=>r.end('{}')).listen(0,'127.0.0.1',()=>console.log(s.address().port))"],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const [line] = (await once(server.stdout, 'data')) as [Buffer];
const port = Number(line.toString().trim());

const scheduleError = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
const latency = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
let errors = 0;
const stream = new OpenLoopStream({
  url: `http://127.0.0.1:${port}/`,
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
      if (r.outcome !== 'ok') errors += 1;
    }
  },
});
await stream.ready();
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
stream.start(Date.now() + 50);
await stream.done();
const cpu = process.cpuUsage(cpuBefore);
const wallSeconds = (performance.now() - wallBefore) / 1000;
server.kill();

const ms = (us: number): string => (us / 1000).toFixed(3);
console.log(`open-loop probe: ${rate} req/s for ${seconds} s against an idle server on 127.0.0.1`);
console.log(
  `requests: ${scheduleError.totalCount} (errors ${errors}), expected ${rate * seconds}, over ${stream.openSockets} pre-opened sockets`,
);
console.log(
  `send-schedule error ms: p50 ${ms(scheduleError.getValueAtPercentile(50))}  p99 ${ms(scheduleError.getValueAtPercentile(99))}  p99.9 ${ms(scheduleError.getValueAtPercentile(99.9))}  max ${ms(scheduleError.maxValue)}`,
);
console.log(`latency from intended send ms: p50 ${ms(latency.getValueAtPercentile(50))}  p99 ${ms(latency.getValueAtPercentile(99))}`);
console.log(
  `runner CPU: ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s over ${wallSeconds.toFixed(1)} s wall = ${(((cpu.user + cpu.system) / 1e6 / wallSeconds) * 100).toFixed(1)}% of one core`,
);
