// The closed-loop pressure stream on real HTTP: a timeout fires at the configured time (sub-second
// included, on Node's http client; from 1 s up, on autocannon), is recorded as a timeout with its
// latency (>= the timeout), and a phase of timeouts reads "≥ timeout" in the report, not "no data".
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { summarise } from '../src/analysis/summary.js';
import { Timeline } from '../src/analysis/timeline.js';
import { toReportValue } from '../src/analysis/range.js';
import { type PressureRecord, PressureStream } from '../src/load/pressure.js';
import { formatFigure } from '../src/signals.js';
import { type ChildServer, childServer } from '@runtime-lab/test-kit';

// /slow answers after 1500 ms (a timer: the server's loop stays free); / answers at once.
const SERVER = `
const http = require('http');
const server = http.createServer((req, res) => {
  if (req.url === '/slow') return setTimeout(() => res.end('{}'), 1500);
  if (req.url === '/fail') { res.statusCode = 500; return res.end('{}'); }
  res.end('{}');
});
server.on('connection', () => console.log('connection'));
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

let server: ChildServer;
before(async () => {
  server = await childServer(SERVER);
});
after(() => server?.close());

async function pressure(
  path: string,
  timeoutMs: number,
  seconds: number,
  connections = 2,
): Promise<{ records: PressureRecord[]; summary: Awaited<PressureStream['result']> }> {
  const records: PressureRecord[] = [];
  const stream = new PressureStream({
    url: `http://127.0.0.1:${server.port}${path}`,
    method: 'GET',
    connections,
    durationSeconds: seconds,
    timeoutMs,
    onRecord: (r) => records.push(r),
  });
  return { records, summary: await stream.result };
}

test('a 300 ms timeout against 1500 ms responses fires at 300 ms and is recorded as a timeout with its latency', async () => {
  const connectionsBefore = server.lines.filter((l) => l === 'connection').length;
  const { records, summary } = await pressure('/slow', 300, 2);
  // Two connections, each timing out every ~300 ms for 2 s: about 12 requests.
  assert.ok(records.length >= 6, `${records.length} records`);
  for (const r of records) {
    assert.equal(r.outcome, 'timeout', JSON.stringify(r));
    assert.ok(r.latencyMs !== null && r.latencyMs >= 300, `timeout latency ${r.latencyMs} ms must be at least the timeout`);
    // Well before the 1500 ms answer, and well under the 1 s a whole-second timeout would give.
    assert.ok(r.latencyMs !== null && r.latencyMs < 800, `timeout latency ${r.latencyMs} ms: it fired late`);
  }
  assert.equal(summary.timeouts, records.length);
  assert.equal(summary.requests, records.length);
  assert.equal(summary.errors, 0);
  // A timed-out request's socket is destroyed: each next request opens a new connection.
  const connections = server.lines.filter((l) => l === 'connection').length - connectionsBefore;
  assert.ok(connections >= records.length, `${connections} connections for ${records.length} timed-out requests`);
});

test('a 1200 ms timeout (autocannon from 1 s up) fires at 1.2 s, not 2 s, and is recorded as a timeout with its latency', async () => {
  const { records, summary } = await pressure('/slow', 1200, 3, 1);
  // One connection for 3 s: timeouts at ~1.2 and ~2.4 s (seconds rounded up would give one, at 2 s).
  assert.ok(records.length >= 2, `${records.length} records: ${JSON.stringify(records)}`);
  for (const r of records) {
    assert.equal(r.outcome, 'timeout', JSON.stringify(r));
    assert.equal(r.latencyMs, 1200, 'recorded at the timeout, the least it took');
  }
  assert.equal(summary.timeouts, records.length);
  assert.equal(summary.errors, 0);
  const gapMs = (records[1]?.atMs ?? 0) - (records[0]?.atMs ?? 0);
  assert.ok(gapMs >= 1100 && gapMs < 1800, `${gapMs} ms between two timeouts on one connection`);
});

test('a phase whose requests time out reads "≥ 300 ms" as its pressure P99, not "no data"', async () => {
  const startMs = Date.now();
  const { records } = await pressure('/slow', 300, 2);
  const timeline = new Timeline(startMs, 4);
  // As the runner records them: placed at their send time (end minus latency).
  for (const r of records) timeline.addClient('pressure', r.atMs - (r.latencyMs ?? 0), r.latencyMs, r.outcome);
  const reading = summarise(timeline, { pressureP99: [] } as never, 'pressureP99', { from: 0, to: 4 });
  assert.ok(reading, 'pressure P99 has data');
  const { value, lower } = toReportValue(reading);
  const text = formatFigure('pressureP99', value, lower);
  assert.match(text, /^≥ 3\d\d ms$/, `pressure P99 reads ${text}`);
});

test('answers are recorded with their latency from the send; a 500 is an error with its latency; no timeout fires early', async () => {
  const ok = await pressure('/', 300, 1, 1);
  assert.ok(ok.records.length >= 20, `${ok.records.length} requests in 1 s`);
  assert.ok(ok.records.every((r) => r.outcome === 'ok' && r.latencyMs !== null && r.latencyMs < 300));
  assert.equal(ok.summary.timeouts, 0);
  const failed = await pressure('/fail', 300, 1, 1);
  assert.ok(failed.records.length >= 20);
  assert.ok(failed.records.every((r) => r.outcome === 'error' && r.latencyMs !== null));
  assert.equal(failed.summary.non2xx, failed.records.length);
  assert.equal(failed.summary.errors, 0, 'an answer with an error status is not a failed request');
});

test('a refused connection is an untimed error, and stop() ends the stream at once', async () => {
  const closed = await childServer(SERVER);
  const port = closed.port;
  await closed.close();
  const records: PressureRecord[] = [];
  const stream = new PressureStream({
    url: `http://127.0.0.1:${port}/`,
    method: 'GET',
    connections: 1,
    durationSeconds: 30,
    timeoutMs: 300,
    onRecord: (r) => records.push(r),
  });
  await new Promise((r) => setTimeout(r, 300));
  const startedStop = performance.now();
  const summary = await stream.stop();
  assert.ok(performance.now() - startedStop < 200, 'stop() resolves promptly');
  assert.ok(records.length >= 3, `${records.length} errors in 300 ms`);
  assert.ok(records.every((r) => r.outcome === 'error' && r.latencyMs === null));
  assert.equal(summary.errors, records.length);
});
