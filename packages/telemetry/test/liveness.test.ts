// /livez on the watchdog port: 503 once the main thread has been stalled longer than
// watchdog.livenessMaxStallMs, 200 otherwise, while /metrics keeps answering throughout.
// Real HTTP on port 0; the polls come from a worker thread, so they are sent while the app's
// event loop (this test's main thread) is blocked.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { PollResult } from './fixtures/poller.js';
import { startBlockingApp, startPoller } from './helpers.js';

const LIMIT_MS = 1000;
let app: FastifyInstance;
let appUrl: string;
let watchdogUrl: string;

before(async () => {
  ({ app, appUrl, watchdogUrl } = await startBlockingApp({
    watchdog: { port: 0, livenessMaxStallMs: LIMIT_MS },
    defaultMetrics: false,
  }));
});

after(() => app.close());

interface Block {
  startedMs: number;
  endedMs: number;
}

/** Polls /livez and /metrics every 50 ms from other threads while /block?ms=blockMs runs. */
async function pollDuringBlock(blockMs: number, pollForMs: number): Promise<{ block: Block; livez: PollResult[]; metrics: PollResult[] }> {
  const count = Math.ceil(pollForMs / 50);
  const livez = await startPoller({ url: `${watchdogUrl}/livez`, count, intervalMs: 50, timeoutMs: 1000 });
  const metrics = await startPoller({ url: `${watchdogUrl}/metrics`, count, intervalMs: 50, timeoutMs: 1000 });
  livez.go();
  metrics.go();
  const block = (await (await fetch(`${appUrl}/block?ms=${blockMs}`)).json()) as Block;
  return { block, livez: await livez.results, metrics: await metrics.results };
}

const answeredAt = (r: PollResult): number => r.sentMs + r.latencyMs;

test('a stall longer than livenessMaxStallMs fails /livez (503) while /metrics answers; both recover after it', async () => {
  const { block, livez, metrics } = await pollDuringBlock(2500, 3500);
  assert.ok(block.endedMs - block.startedMs >= 2500);
  // Sent well past the limit into the block: the heartbeat is at least that old.
  const late = livez.filter((r) => r.sentMs > block.startedMs + LIMIT_MS + 200 && answeredAt(r) < block.endedMs);
  assert.ok(late.length >= 5, `expected >= 5 /livez polls late in the block, got ${late.length}`);
  for (const r of late) {
    assert.equal(r.status, 503, `/livez ${(r.sentMs - block.startedMs).toFixed(0)} ms into the block: ${r.error ?? r.status}`);
    const body = JSON.parse(r.body ?? '{}') as { status: string; stallSeconds: number; limitSeconds: number };
    assert.equal(body.status, 'stalled');
    assert.equal(body.limitSeconds, LIMIT_MS / 1000);
    assert.ok(body.stallSeconds > body.limitSeconds, JSON.stringify(body));
  }
  const metricsDuring = metrics.filter((r) => r.sentMs > block.startedMs + LIMIT_MS + 200 && answeredAt(r) < block.endedMs);
  assert.ok(metricsDuring.length >= 5, `expected >= 5 /metrics polls late in the block, got ${metricsDuring.length}`);
  for (const r of metricsDuring) assert.equal(r.status, 200, `/metrics during the stall: ${r.error ?? r.status}`);

  // After the block the loop turns again: the next heartbeat makes /livez green.
  const recovered = livez.filter((r) => r.sentMs > block.endedMs + 100);
  assert.ok(recovered.length >= 3, `expected >= 3 /livez polls after the block, got ${recovered.length}`);
  for (const r of recovered) assert.equal(r.status, 200, `/livez after the stall: ${r.error ?? r.status}`);
  for (const r of metrics.filter((m) => m.sentMs > block.endedMs + 100)) assert.equal(r.status, 200);
});

test('a stall shorter than livenessMaxStallMs keeps /livez green throughout', async () => {
  const { block, livez } = await pollDuringBlock(250, 1000);
  const during = livez.filter((r) => r.sentMs > block.startedMs && answeredAt(r) < block.endedMs);
  assert.ok(during.length >= 2, `expected >= 2 /livez polls inside the 250 ms block, got ${during.length}`);
  for (const r of livez) {
    assert.equal(r.status, 200, `/livez ${(r.sentMs - block.startedMs).toFixed(0)} ms after the block started: ${r.error ?? r.body}`);
  }
  const body = JSON.parse(during[0]?.body ?? '{}') as { status: string; stallSeconds: number };
  assert.equal(body.status, 'ok');
  assert.ok(body.stallSeconds > 0, 'the live stall is reported inside the block');
});
