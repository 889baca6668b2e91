// scrapeSnapshotAfter: a "before" scrape must not describe a moment earlier than asked for, as a
// watchdog's snapshot served with its age can (real HTTP; the server plays a watchdog whose
// snapshot is old for the first few scrapes).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { scrapeSnapshotAfter } from '../src/index.js';

const AGE = 'runtime_watchdog_snapshot_age_seconds';
let server: Server;
let url = '';
let scrapes = 0;
/** Scrapes answered with a 2 s old snapshot before the fresh ones begin. */
let staleScrapes = 0;

before(async () => {
  server = createServer((_request, response) => {
    scrapes += 1;
    const age = scrapes <= staleScrapes ? 2 : 0.001;
    response.setHeader('content-type', 'text/plain; version=0.0.4');
    response.end(`# TYPE ${AGE} gauge\n${AGE} ${age}\n# TYPE n gauge\nn ${scrapes}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
});

after(() => {
  server.close();
});

test('retries until the snapshot was taken after the given moment, then returns that scrape', async () => {
  scrapes = 0;
  staleScrapes = 3;
  const result = await scrapeSnapshotAfter(url, performance.now(), { ageMetric: AGE });
  assert.equal(scrapes, 4, 'three stale answers, then the fresh one');
  assert.equal(result.families.get('n')?.samples[0]?.value, 4);
});

test('gives up after waitMs and returns the last scrape as it is; no age metric means fresh', async () => {
  scrapes = 0;
  staleScrapes = 1000;
  const started = performance.now();
  await scrapeSnapshotAfter(url, performance.now(), { ageMetric: AGE, waitMs: 300 });
  const tookMs = performance.now() - started;
  assert.ok(tookMs >= 300 && tookMs < 3000, `waited ${tookMs.toFixed(0)} ms for a 300 ms budget`);
  scrapes = 0;
  await scrapeSnapshotAfter(url, performance.now(), { ageMetric: 'not_exposed_here' });
  assert.equal(scrapes, 1, 'a /metrics route without the age gauge qualifies at once');
});
