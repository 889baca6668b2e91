// The watchdog's registry snapshot is the plugin's own main-thread work: written when a scrape
// asks (not on a fixed period), and in slices that let the event loop run between metrics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { Gauge, Registry } from 'prom-client';
import telemetry from '../src/index.js';
import { serializeInSlices } from '../src/snapshot.js';
import { blockFor } from './helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('an unscraped app writes no snapshots; a scrape gets a fresh one; scrapes within snapshotIntervalMs share it', async () => {
  const app = Fastify();
  await app.register(telemetry, { watchdog: { port: 0, snapshotIntervalMs: 300 }, defaultMetrics: false, threadpoolCanary: false });
  let collects = 0;
  new Gauge({
    name: 'test_collects_total_so_far',
    help: 'How often the registry was collected.',
    registers: [app.telemetry.registry],
    collect() {
      collects += 1;
      this.set(collects);
    },
  });
  await app.ready();
  try {
    const url = `http://127.0.0.1:${app.telemetry.watchdogAddress()?.port}/metrics`;
    const idleFrom = collects;
    await sleep(1500);
    assert.equal(collects, idleFrom, 'no collection in 1.5 s without a scrape (a 300 ms period would have made ~5)');

    const first = await (await fetch(url)).text();
    assert.equal(collects, idleFrom + 1, 'one collection for the scrape');
    assert.match(first, new RegExp(`^test_collects_total_so_far ${collects}$`, 'm'), 'the scrape got the fresh snapshot');
    const second = await (await fetch(url)).text();
    assert.equal(collects, idleFrom + 1, 'a second scrape within 300 ms reuses that snapshot');
    assert.match(second, new RegExp(`^test_collects_total_so_far ${collects}$`, 'm'));
    await sleep(400);
    await fetch(url);
    assert.equal(collects, idleFrom + 2, 'after 300 ms a scrape asks again');
  } finally {
    await app.close();
  }
});

test('serializeInSlices: the same bytes as registry.metrics(), with the loop running between slices', async () => {
  const registry = new Registry();
  for (let i = 0; i < 12; i++) {
    new Gauge({
      name: `test_slow_${i}`,
      help: `A gauge whose collection costs 3 ms (${i}).`,
      labelNames: ['k'],
      registers: [registry],
      collect() {
        blockFor(3);
        this.set({ k: 'a"b\\\\c' }, i);
      },
    });
  }
  let turns = 0;
  let counting = true;
  const count = (): void => {
    turns += 1;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  const sliced = await serializeInSlices(registry, 5);
  const turnsDuringSliced = turns;
  turns = 0;
  const whole = await registry.metrics();
  const turnsDuringWhole = turns;
  counting = false;
  assert.equal(sliced, whole);
  assert.ok(turnsDuringSliced >= 4, `the loop ran ${turnsDuringSliced} turns during 36 ms of sliced work`);
  assert.ok(turnsDuringWhole <= 1, `registry.metrics() let the loop run ${turnsDuringWhole} turns (it does not yield)`);
});
