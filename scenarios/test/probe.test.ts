import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { build } from 'hdr-histogram-js';
import { type OpenLoopRecord, OpenLoopStream, constantRate } from '../src/load/open-loop.js';
import { PressureStream } from '../src/load/pressure.js';
import { type ChildServer, childServer } from '@runtime-lab/test-kit';

// A server whose event loop stalls for 1 s every 2.5 s (the first stall 0.5 s in), and which
// logs each request's X-Request-Start and arrival time on /echo-start.
const STALLING_SERVER = `
const http = require('http');
const server = http.createServer((req, res) => {
  if (req.url === '/echo-start') console.log('start ' + req.headers['x-request-start'] + ' ' + Date.now());
  if (req.url === '/warm') console.log('warm');
  if (req.url === '/never') return;
  res.end('{}');
});
server.on('connection', () => console.log('connection'));
server.listen(0, '127.0.0.1', () => {
  console.log(server.address().port);
  const stall = () => { const end = Date.now() + 1000; while (Date.now() < end); };
  setTimeout(() => { stall(); setInterval(stall, 2500); }, 500);
});
`;

const QUIET_SERVER = STALLING_SERVER.replace('setTimeout(() => { stall(); setInterval(stall, 2500); }, 500);', '');

interface ProbeRun {
  timeoutMs?: number;
  /** Schedule start relative to now (negative: every request due in the past is sent late, at once). */
  startInMs?: number;
  warmSockets?: number;
}

async function runProbe(
  port: number,
  path: string,
  rate: number,
  durationMs: number,
  run: ProbeRun = {},
): Promise<OpenLoopRecord[] & { openSockets: number }> {
  const records: OpenLoopRecord[] = [];
  const probe = new OpenLoopStream({
    url: `http://127.0.0.1:${port}${path}`,
    method: 'GET',
    timeoutMs: run.timeoutMs ?? 3000,
    durationMs,
    segments: constantRate(rate),
    ...(run.warmSockets ? { warmup: { path: '/warm', sockets: run.warmSockets } } : {}),
    onRecords: (r) => records.push(...r),
  });
  await probe.ready();
  probe.start(Date.now() + (run.startInMs ?? 20));
  await probe.done();
  return Object.assign(records, { openSockets: probe.openSockets });
}

let stalling: ChildServer;
let quiet: ChildServer;
before(async () => {
  [stalling, quiet] = await Promise.all([childServer(STALLING_SERVER), childServer(QUIET_SERVER)]);
});
after(async () => {
  await Promise.all([stalling?.close(), quiet?.close()]);
});

test('open-loop probe charges a 1 s stall in full (P99 >= 0.9 s) while the closed-loop pressure stream reports far less', async (t) => {
  const pressureLatencies = build();
  const pressure = new PressureStream({
    url: `http://127.0.0.1:${stalling.port}/`,
    method: 'GET',
    connections: 4,
    durationSeconds: 6,
    timeoutMs: 5000,
    onRecord: (r) => {
      if (r.latencyMs !== null) pressureLatencies.recordValue(Math.max(1, Math.round(r.latencyMs * 1000)));
    },
  });
  const records = await runProbe(stalling.port, '/', 50, 6000);
  const summary = await pressure.result;
  const probe = build();
  for (const r of records) probe.recordValue(Math.max(1, Math.round(r.latencyMs * 1000)));
  const probeP99Ms = probe.getValueAtPercentile(99) / 1000;
  const closedLoopP99Ms = summary.p99Ms;
  t.diagnostic(`probe (open loop) P99 ${probeP99Ms.toFixed(0)} ms over ${records.length} requests`);
  t.diagnostic(`pressure (closed loop, 4 connections) P99 ${closedLoopP99Ms} ms over ${summary.requests} requests`);
  assert.ok(records.length >= 280, `probe sent ${records.length} of 300 scheduled requests`);
  assert.ok(probeP99Ms >= 900, `probe P99 ${probeP99Ms} ms should show the 1 s stall`);
  assert.ok(closedLoopP99Ms <= probeP99Ms / 2, `closed-loop P99 ${closedLoopP99Ms} ms should be far below the probe's ${probeP99Ms} ms`);
  // The runner's own histogram of the per-request records agrees with the stream's summary.
  assert.ok(pressureLatencies.getValueAtPercentile(99) / 1000 <= probeP99Ms / 2);
});

test('X-Request-Start carries the actual send time (epoch ms), not the intended one, so server queue time excludes the sender’s lateness', async () => {
  const before = quiet.lines.length;
  // The schedule starts 300 ms in the past: the first 30 requests are all sent late, at once.
  const records = await runProbe(quiet.port, '/echo-start', 100, 1000, { startInMs: -300 });
  await new Promise((r) => setTimeout(r, 100));
  const seen = quiet.lines
    .slice(before)
    .filter((l) => l.startsWith('start '))
    .map((l) => l.split(' ').slice(1).map(Number) as [number, number]);
  assert.equal(seen.length, records.length);
  assert.ok(seen.length >= 95, `${seen.length} requests for 100 scheduled`);
  const headers = seen.map(([h]) => h).sort((a, b) => a - b);
  const actual = records.map((r) => Math.round(r.intendedMs + r.sendErrorMs)).sort((a, b) => a - b);
  headers.forEach((h, i) => {
    assert.ok(Number.isInteger(h) && h > 1.6e12, `header ${h} is epoch ms`);
    assert.ok(Math.abs(h - (actual[i] as number)) <= 1, `header ${h} vs actual send ${actual[i]}`);
  });
  for (const [sent, arrival] of seen) assert.ok(arrival - sent >= -2 && arrival - sent < 1000, `arrival ${arrival} vs sent ${sent}`);
  const late = records.filter((r) => r.sendErrorMs > 100);
  assert.ok(late.length >= 15, `${late.length} requests were sent over 100 ms late`);
  // The late ones were sent together; had the header carried the intended time, these would be 10 ms apart.
  const earliest = headers.slice(0, late.length);
  assert.ok(
    (earliest.at(-1) as number) - (earliest[0] as number) < 100,
    `late requests' headers span ${(earliest.at(-1) as number) - (earliest[0] as number)} ms`,
  );
  // The schedule itself is kept: the intended times are 10 ms apart.
  const intended = records.map((r) => r.intendedMs).sort((a, b) => a - b);
  const meanGap = ((intended.at(-1) as number) - (intended[0] as number)) / (intended.length - 1);
  assert.ok(Math.abs(meanGap - 10) < 0.5, `mean gap ${meanGap} ms for 100 req/s`);
});

test('warm-up opens the keep-alive sockets before the schedule, and the schedule reuses them without new connections', async () => {
  const before = quiet.lines.length;
  const records = await runProbe(quiet.port, '/', 50, 1000, { warmSockets: 12 });
  await new Promise((r) => setTimeout(r, 100));
  const lines = quiet.lines.slice(before);
  assert.equal(records.openSockets, 12, 'the worker reports the sockets it opened');
  assert.equal(lines.filter((l) => l === 'warm').length, 12, 'one warm-up request per socket');
  assert.ok(records.length >= 48, `${records.length} of 50 requests`);
  assert.equal(lines.filter((l) => l === 'connection').length, 12, 'every scheduled request went over a pre-opened socket');
});

test('a request that never gets an answer is counted as a timeout with its latency', async () => {
  const records = await runProbe(quiet.port, '/never', 20, 500, { timeoutMs: 300 });
  assert.ok(records.length >= 5, `${records.length} of 10 scheduled requests recorded`);
  for (const r of records) {
    assert.equal(r.outcome, 'timeout', JSON.stringify(r));
    // From the intended send time: the 300 ms timeout plus however late the send was; well under
    // the 1000 ms a timeout rounded up to whole seconds would take.
    assert.ok(r.latencyMs >= 300 && r.latencyMs < 900 + r.sendErrorMs, `timeout latency ${JSON.stringify(r)}`);
  }
});

test('at 12 000 req/s the schedule is exact: request k is due at start + k / rate, and 250 ms hold 3000 requests', async () => {
  const records = await runProbe(quiet.port, '/', 12_000, 250, { warmSockets: 64 });
  assert.equal(records.length, 3000);
  const intended = records.map((r) => r.intendedMs).sort((a, b) => a - b);
  const startMs = intended[0] as number;
  // Accumulated onto an epoch time, the 1/12 ms interval drifted: ~0.3 ms by request 3000, and 3 requests too many.
  for (const [k, at] of intended.entries()) assert.ok(Math.abs(at - startMs - k / 12) < 1e-3, `request ${k} due at +${at - startMs} ms`);
});
