// The scrape schedule: scrape k due at start + k x interval; a scrape due while the previous one
// still runs is a recorded gap ('skip') or a late scrape on the same grid ('wait'), never lost.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { type ScrapeAttempt, ScrapeSchedule, SKIPPED_SCRAPE } from '../src/index.js';

let server: Server;
let url = '';
// Every answer takes this long (set per test); the server itself never blocks.
let delayMs = 0;

before(async () => {
  server = createServer((_request, response) => {
    setTimeout(() => {
      response.setHeader('content-type', 'text/plain; version=0.0.4');
      response.end('# TYPE runtime_eventloop_delay_max_seconds gauge\nruntime_eventloop_delay_max_seconds 0.002\n');
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
});

after(() => {
  server.close();
});

async function run(whenBusy: 'skip' | 'wait', count: number): Promise<ScrapeAttempt[]> {
  const attempts: ScrapeAttempt[] = [];
  const schedule = new ScrapeSchedule({ url, intervalMs: 100, timeoutMs: 1000, count, whenBusy, onAttempt: (a) => attempts.push(a) });
  const startMs = Date.now();
  schedule.start(startMs);
  await schedule.finished;
  await schedule.stop(false);
  for (const a of attempts) assert.equal(a.dueMs, startMs + a.index * 100, 'every attempt sits on the grid of due times');
  return attempts.sort((a, b) => a.index - b.index);
}

test("'skip': a scrape due while the previous one runs is recorded as a gap with its index", async () => {
  delayMs = 150;
  const attempts = await run('skip', 6);
  assert.deepEqual(
    attempts.map((a) => a.index),
    [0, 1, 2, 3, 4, 5],
    'each index once, none missing',
  );
  const skipped = attempts.filter((a) => a.error === SKIPPED_SCRAPE);
  assert.ok(skipped.length >= 2, `${skipped.length} skipped`);
  assert.ok(attempts.filter((a) => a.families).length >= 2);
});

test("'wait': the same slow endpoint is scraped at every index, late but never skipped", async () => {
  delayMs = 150;
  const attempts = await run('wait', 6);
  assert.deepEqual(
    attempts.map((a) => a.index),
    [0, 1, 2, 3, 4, 5],
  );
  assert.deepEqual(
    attempts.filter((a) => !a.families),
    [],
    'no gaps',
  );
  assert.ok(
    attempts.some((a) => a.startedAtMs - a.dueMs >= 40),
    'some scrapes started late, after the previous one ended',
  );
  for (let i = 1; i < attempts.length; i++) {
    assert.ok((attempts[i]?.startedAtMs ?? 0) >= (attempts[i - 1]?.atMs ?? 0) - 5, 'one scrape at a time');
  }
});

test('count: exactly that many attempts, each with the parsed families', async () => {
  delayMs = 0;
  const attempts = await run('wait', 4);
  assert.equal(attempts.length, 4);
  for (const a of attempts) assert.equal(a.families?.get('runtime_eventloop_delay_max_seconds')?.samples[0]?.value, 0.002);
});
