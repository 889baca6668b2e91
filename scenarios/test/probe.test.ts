import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { build } from 'hdr-histogram-js';
import { type OpenLoopRecord, OpenLoopStream, constantRate } from '../src/load/open-loop.js';
import { PressureStream } from '../src/load/pressure.js';
import { type ChildServer, childServer } from './helpers.js';

// A server whose event loop stalls for 1 s every 2.5 s (the first stall 0.5 s in), and which
// logs each request's X-Request-Start and arrival time on /echo-start.
const STALLING_SERVER = `
const http = require('http');
const server = http.createServer((req, res) => {
  if (req.url === '/echo-start') console.log('start ' + req.headers['x-request-start'] + ' ' + Date.now());
  if (req.url === '/never') return;
  res.end('{}');
});
server.listen(0, '127.0.0.1', () => {
  console.log(server.address().port);
  const stall = () => { const end = Date.now() + 1000; while (Date.now() < end); };
  setTimeout(() => { stall(); setInterval(stall, 2500); }, 500);
});
`;

const QUIET_SERVER = STALLING_SERVER.replace("setTimeout(() => { stall(); setInterval(stall, 2500); }, 500);", '');

async function runProbe(port: number, path: string, rate: number, durationMs: number, timeoutMs = 3000): Promise<OpenLoopRecord[]> {
  const records: OpenLoopRecord[] = [];
  const probe = new OpenLoopStream({
    url: `http://127.0.0.1:${port}${path}`,
    method: 'GET',
    timeoutMs,
    durationMs,
    segments: constantRate(rate),
    onRecords: (r) => records.push(...r),
  });
  await probe.ready();
  probe.start(Date.now() + 20);
  await probe.done();
  return records;
}

let stalling: ChildServer;
let quiet: ChildServer;
before(async () => {
  [stalling, quiet] = await Promise.all([childServer(STALLING_SERVER), childServer(QUIET_SERVER)]);
});
after(async () => {
  await Promise.all([stalling?.close(), quiet?.close()]);
});

test('open-loop probe charges a 1 s stall in full (P99 >= 0.9 s) while autocannon, closed loop, reports far less', async (t) => {
  const pressureLatencies = build();
  const pressure = new PressureStream({
    url: `http://127.0.0.1:${stalling.port}/`,
    method: 'GET',
    connections: 4,
    durationSeconds: 6,
    timeoutMs: 5000,
    onRecord: (r) => pressureLatencies.recordValue(Math.max(1, Math.round(r.latencyMs * 1000))),
  });
  const records = await runProbe(stalling.port, '/', 50, 6000);
  const summary = await pressure.result;
  const probe = build();
  for (const r of records) probe.recordValue(Math.max(1, Math.round(r.latencyMs * 1000)));
  const probeP99Ms = probe.getValueAtPercentile(99) / 1000;
  const autocannonP99Ms = summary.p99Ms;
  t.diagnostic(`probe (open loop) P99 ${probeP99Ms.toFixed(0)} ms over ${records.length} requests`);
  t.diagnostic(`autocannon (closed loop, 4 connections) P99 ${autocannonP99Ms} ms over ${summary.requests} requests`);
  assert.ok(records.length >= 280, `probe sent ${records.length} of 300 scheduled requests`);
  assert.ok(probeP99Ms >= 900, `probe P99 ${probeP99Ms} ms should show the 1 s stall`);
  assert.ok(autocannonP99Ms <= probeP99Ms / 2, `autocannon P99 ${autocannonP99Ms} ms should be far below the probe's ${probeP99Ms} ms`);
  // The runner's own histogram of autocannon's per-response latencies agrees with autocannon.
  assert.ok(pressureLatencies.getValueAtPercentile(99) / 1000 <= probeP99Ms / 2);
});

test('X-Request-Start carries the intended send time in epoch ms, on a fixed schedule', async () => {
  const before = quiet.lines.length;
  const records = await runProbe(quiet.port, '/echo-start', 100, 1000);
  await new Promise((r) => setTimeout(r, 100));
  const seen = quiet.lines
    .slice(before)
    .filter((l) => l.startsWith('start '))
    .map((l) => l.split(' ').slice(1).map(Number) as [number, number]);
  assert.equal(seen.length, records.length);
  assert.ok(seen.length >= 95, `${seen.length} requests for 100 scheduled`);
  for (const [intended, arrival] of seen) {
    assert.ok(Number.isInteger(intended) && intended > 1.6e12, `header ${intended} is epoch ms`);
    assert.ok(arrival - intended >= -2 && arrival - intended < 1000, `arrival ${arrival} vs intended ${intended}`);
  }
  const starts = seen.map(([s]) => s).sort((a, b) => a - b);
  const gaps = starts.slice(1).map((s, i) => s - (starts[i] as number));
  const meanGap = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  assert.ok(Math.abs(meanGap - 10) < 0.5, `mean gap ${meanGap} ms for 100 req/s`);
});

test('a request that never gets an answer is counted as a timeout with its latency', async () => {
  const records = await runProbe(quiet.port, '/never', 20, 500, 300);
  assert.ok(records.length >= 5, `${records.length} of 10 scheduled requests recorded`);
  for (const r of records) {
    assert.equal(r.outcome, 'timeout', JSON.stringify(r));
    // From the intended send time: the 300 ms timeout plus however late the send was.
    assert.ok(r.latencyMs >= 300 && r.latencyMs < 300 + Math.max(1000, r.sendErrorMs + 1000), `timeout latency ${JSON.stringify(r)}`);
  }
});
