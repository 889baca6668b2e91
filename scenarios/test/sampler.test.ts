// The sampler keeps every scheduled scrape, including the ones it skipped, and hands an
// exception of its callback to onError instead of throwing it into the event loop.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SKIPPED_SCRAPE, Sampler } from '../src/sample/sampler.js';
import { type ChildServer, childServer } from '@runtime-lab/test-kit';

const METRICS_SERVER = `
const http = require('http');
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/plain; version=0.0.4');
  res.end('# TYPE runtime_eventloop_delay_max_seconds gauge\\nruntime_eventloop_delay_max_seconds 0.002\\n# TYPE runtime_watchdog_snapshot_age_seconds gauge\\nruntime_watchdog_snapshot_age_seconds 0.1\\n');
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

let metrics: ChildServer;
before(async () => {
  metrics = await childServer(METRICS_SERVER);
});
after(async () => {
  await metrics?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a scrape still running when the next is due is recorded as skipped, with its index, not dropped', async () => {
  // Each scrape takes ~350 ms against a 200 ms schedule: every other one is due while one runs.
  class SlowSampler extends Sampler {
    override async scrape(index: number): Promise<void> {
      await sleep(350);
      return super.scrape(index);
    }
  }
  const sampler = new SlowSampler({ metricsUrl: `http://127.0.0.1:${metrics.port}/metrics`, probeRoute: '/api/ping', intervalMs: 200 });
  sampler.start(Date.now());
  await sleep(1100);
  await sampler.stop();
  const skipped = sampler.snapshots.filter((s) => s.error === SKIPPED_SCRAPE);
  const scraped = sampler.snapshots.filter((s) => !s.error);
  assert.ok(skipped.length >= 2, `${skipped.length} skipped scrapes recorded`);
  assert.ok(scraped.length >= 2, `${scraped.length} scrapes`);
  const indexes = sampler.snapshots.map((s) => s.index).sort((a, b) => a - b);
  assert.equal(new Set(indexes).size, indexes.length, 'each index once');
  assert.deepEqual(indexes.slice(0, 5), [0, 1, 2, 3, 4], 'no scheduled index is missing');
  assert.equal(scraped[0]?.loopDelayMax, 0.002);
});

test('an exception thrown by onSnapshot goes to onError; sampling goes on', async () => {
  const errors: unknown[] = [];
  const sampler = new Sampler({
    metricsUrl: `http://127.0.0.1:${metrics.port}/metrics`,
    probeRoute: '/api/ping',
    intervalMs: 100,
    onSnapshot: () => {
      throw new Error('handler bug');
    },
    onError: (error) => errors.push(error),
  });
  sampler.start(Date.now());
  await sleep(350);
  await sampler.stop();
  assert.ok(errors.length >= 3, `${errors.length} errors reported`);
  assert.match(String(errors[0]), /handler bug/);
  assert.ok(sampler.snapshots.length >= 3);
});
