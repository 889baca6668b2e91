// The watchdog's registry snapshot is the plugin's own main-thread work: written when a scrape
// asks (not on a fixed period), and in slices that let the event loop run between metrics.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import Fastify from 'fastify';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import telemetry from '../src/index.js';
import { type SnapshotOptions, serializeInSlices } from '../src/snapshot.js';
import { blockFor, nowMs, startBlockingApp, startPoller } from './helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The snapshot's text (its chunks decoded together) and the chunks themselves. */
async function sliced(registry: Registry, options: SnapshotOptions): Promise<{ text: string; chunks: Uint8Array[] }> {
  const chunks: Uint8Array[] = [];
  await serializeInSlices(registry, options, (chunk) => chunks.push(chunk));
  return { text: Buffer.concat(chunks).toString('utf8'), chunks };
}

/** Counts event-loop turns (a setImmediate chain) until stop(); take() returns the count so far and restarts it. */
function countLoopTurns(): { take(): number; stop(): void } {
  let turns = 0;
  let counting = true;
  const count = (): void => {
    turns += 1;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  return {
    take() {
      const n = turns;
      turns = 0;
      return n;
    },
    stop() {
      counting = false;
    },
  };
}

test('an unscraped app writes no snapshots; a scrape gets a fresh one; a steady scraper gets one per scrape, ready in time', async () => {
  const app = Fastify();
  await app.register(telemetry, { watchdog: { port: 0, snapshotIntervalMs: 300 }, defaultMetrics: false, threadpoolCanary: false });
  let collects = 0;
  new Gauge({
    name: 'test_collects_so_far',
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
    assert.match(first, new RegExp(`^test_collects_so_far ${collects}$`, 'm'), 'the scrape got the fresh snapshot');

    // A scraper every 700 ms: about one collection per scrape, written before the scrape arrives.
    const ages: number[] = [];
    const scrapes = 5;
    for (let i = 0; i < scrapes; i++) {
      await sleep(700);
      const text = await (await fetch(url)).text();
      ages.push(Number(/^runtime_watchdog_snapshot_age_seconds (\S+)$/m.exec(text)?.[1]));
    }
    const perScrape = (collects - idleFrom - 1) / scrapes;
    assert.ok(perScrape >= 0.8 && perScrape <= 1.4, `${collects - idleFrom - 1} collections for ${scrapes} scrapes`);
    // From the third scrape on the scraper's interval is known: the snapshot was prefetched.
    assert.ok(
      ages.slice(2).every((age) => age < 0.3),
      `snapshot ages at scrape time: ${ages.join(', ')} s`,
    );

    const stoppedAt = collects;
    await sleep(1500);
    assert.ok(collects <= stoppedAt + 1, 'once the scraper stops, so do the snapshots');
  } finally {
    await app.close();
  }
});

test('under 600 ms blocks back to back, a one-slice snapshot reaches the watchdog in the gap it was written in, not a block later', async () => {
  const BLOCK_MS = 600;
  const { app, watchdogUrl } = await startBlockingApp({ watchdog: { port: 0 }, defaultMetrics: false, threadpoolCanary: false });
  // An independent clock on the snapshot: when it collected this gauge (process.hrtime ms, the poller's clock too).
  new Gauge({
    name: 'test_collected_at_ms',
    help: 'When the snapshot collected this gauge.',
    registers: [app.telemetry.registry],
    collect() {
      this.set(nowMs());
    },
  });
  try {
    // The scraper runs in its own thread: this one is blocked most of the time.
    const poller = await startPoller({ url: `${watchdogUrl}/metrics`, count: 10, intervalMs: 700 });
    poller.go();
    const results = poller.results;
    let done = false;
    void results.then(() => {
      done = true;
    });
    // One turn between blocks: the watchdog's request is read, the snapshot written, and the next block starts.
    while (!done) {
      blockFor(BLOCK_MS);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const scrapes = (await results).slice(2);
    const reported = scrapes.map((r) => Number(/^runtime_watchdog_snapshot_age_seconds (\S+)$/m.exec(r.body ?? '')?.[1]) * 1000);
    // Measured apart from the watchdog: answer received minus the snapshot's own collection time.
    const measured = scrapes.map((r) => r.sentMs + r.latencyMs - Number(/^test_collected_at_ms (\S+)$/m.exec(r.body ?? '')?.[1]));
    const figures = `snapshot ages at scrape time, reported / measured: ${reported.map((a, i) => `${a.toFixed(0)}/${measured[i]?.toFixed(0)}`).join(', ')} ms`;
    // Told "done" a turn later, every snapshot would wait out the next block: never younger than one.
    assert.ok(Math.min(...reported) < BLOCK_MS, figures);
    // Snapshots from before the gauge was registered have no collection time.
    const timed = measured.filter(Number.isFinite);
    assert.ok(timed.length >= 5, figures);
    assert.ok(Math.min(...timed) < BLOCK_MS, figures);
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
  const loop = countLoopTurns();
  const { text } = await sliced(registry, { sliceMs: 5 });
  const turnsDuringSliced = loop.take();
  const whole = await registry.metrics();
  const turnsDuringWhole = loop.take();
  loop.stop();
  assert.equal(text, whole);
  assert.ok(turnsDuringSliced >= 4, `the loop ran ${turnsDuringSliced} turns during 36 ms of sliced work`);
  assert.ok(turnsDuringWhole <= 1, `registry.metrics() let the loop run ${turnsDuringWhole} turns (it does not yield)`);
});

test('serializeInSlices writes histograms label set by label set: same bytes, the loop runs inside one large histogram', async () => {
  const registry = new Registry();
  const big = new Histogram({
    name: 'test_big_seconds',
    help: 'help with \\ and\nnewline',
    labelNames: ['id', 'route'],
    buckets: [0.001, 0.5, 1, 30],
    registers: [registry],
  });
  for (let i = 0; i < 6000; i++) big.observe({ id: `s"${i}\\\n`, route: i % 3 ? '/a' : 7 }, i / 1000);
  big.observe({ id: 'huge', route: 'x' }, 1e300);
  new Histogram({ name: 'test_unlabelled_seconds', help: 'h', registers: [registry] }).observe(0.2);
  new Histogram({ name: 'test_empty_seconds', help: 'h', labelNames: ['k'], registers: [registry] });
  let collected = 0;
  // collect() runs before writing (it observes once, so both writers see the same values).
  new Histogram({
    name: 'test_collected_seconds',
    help: 'h',
    registers: [registry],
    collect() {
      collected += 1;
      if (collected === 1) this.observe(0.1);
    },
  });
  const loop = countLoopTurns();
  const { text } = await sliced(registry, { sliceMs: 2 });
  const turnsDuringSliced = loop.take();
  loop.stop();
  assert.equal(collected, 1, 'collect() ran once, before writing');
  assert.match(text, /^test_collected_seconds_count 1$/m);
  assert.ok(text === (await registry.metrics()), 'the same bytes as registry.metrics()');
  // More turns than the 4 boundaries between metrics means it yielded inside the big histogram.
  // (Not a count tuned to one Node line: Node 26 writes the same 6000 label sets in 8 turns where
  // Node 20 took 10 or more.)
  assert.ok(
    turnsDuringSliced > 4,
    `the loop ran ${turnsDuringSliced} turns while 6000 label sets were written (4 metrics: at most 4 turns between them)`,
  );
});

test("serializeInSlices falls back to prom-client's writer where it does not know the shape (default labels, OpenMetrics with exemplars)", async () => {
  const labelled = new Registry();
  labelled.setDefaultLabels({ app: 'x' });
  new Histogram({ name: 'test_a_seconds', help: 'h', labelNames: ['k'], registers: [labelled] }).observe({ k: 'v' }, 0.3);
  assert.ok((await sliced(labelled, { sliceMs: 5 })).text === (await labelled.metrics()), 'default labels');
  const exemplars = new Registry();
  exemplars.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
  new Histogram({ name: 'test_b_seconds', help: 'h', labelNames: ['k'], enableExemplars: true, registers: [exemplars] }).observe({
    labels: { k: 'v' },
    value: 0.3,
    exemplarLabels: { trace: 't' } as never,
  });
  assert.ok((await sliced(exemplars, { sliceMs: 5 })).text === (await exemplars.metrics()), 'exemplars');
  await assert.rejects(
    serializeInSlices(exemplars, { sliceMs: 5, skip: new Set(['x']) }, () => {}),
    /skip needs a registry in the Prometheus text format/,
  );
  await assert.rejects(
    serializeInSlices(labelled, { sliceMs: 5, chunkBytes: 3 }, () => {}),
    /chunkBytes must be an integer ≥ 4 \(one UTF-8 character\), got 3/,
  );
});

test('serializeInSlices writes counters, gauges and summaries label set by label set: same bytes, the loop runs inside one large metric', async () => {
  const registry = new Registry();
  const counterOnly = new Registry();
  const gaugeOnly = new Registry();
  const summaryOnly = new Registry();
  const counter = new Counter({
    name: 'test_requests_total',
    help: 'c \\ "h"',
    labelNames: ['id', 'code'],
    registers: [registry, counterOnly],
  });
  const gauge = new Gauge({ name: 'test_sizes', help: 'g', labelNames: ['id'], registers: [registry, gaugeOnly] });
  for (let i = 0; i < 20_000; i++) counter.inc({ id: `c"${i}\\\n€`, code: i % 5 ? 200 : 'x' }, (i % 7) + 0.5);
  for (let i = 0; i < 20_000; i++) gauge.set({ id: `g${i}` }, i % 11 === 0 ? Number.NaN : i % 13 === 0 ? -Infinity : i * 1e19);
  new Counter({ name: 'test_unlabelled_total', help: 'c', registers: [registry] }).inc();
  new Gauge({ name: 'test_empty', help: 'g', labelNames: ['k'], registers: [registry] });
  let collected = 0;
  new Gauge({
    name: 'test_collected',
    help: 'g',
    registers: [registry],
    async collect() {
      collected += 1;
      await sleep(1);
      this.set(collected);
    },
  });
  // Two values per label set: a t-digest's percentiles then do not depend on its random compression order.
  const summary = new Summary({ name: 'test_summary', help: 's', labelNames: ['k'], registers: [registry, summaryOnly] });
  for (let i = 0; i < 3000; i++) {
    summary.observe({ k: `v${i}` }, i);
    summary.observe({ k: `v${i}` }, i / 3);
  }
  // A metric that overrides get() goes through prom-client's writer.
  class Doubled extends Gauge {
    override async get() {
      const data = await super.get();
      return { ...data, values: data.values.map((v) => ({ ...v, value: v.value * 2 })) };
    }
  }
  new Doubled({ name: 'test_doubled', help: 'g', registers: [registry] }).set(21);
  const { text, chunks } = await sliced(registry, { sliceMs: 2, chunkBytes: 4096 });
  assert.equal(collected, 1, 'collect() ran once, before writing');
  assert.match(text, /^test_doubled 42$/m, "the overridden get() was used (prom-client's writer)");
  collected = 0; // the same value again from registry.metrics()'s collect()
  assert.ok(text === (await registry.metrics()), 'the same bytes as registry.metrics()');
  // Chunks cut through multi-byte characters (€) without breaking them; each owns its buffer (transferable).
  assert.ok(chunks.length > 100, `${chunks.length} chunks`);
  assert.ok(chunks.every((c) => c.byteOffset === 0 && c.byteLength <= 4096));
  assert.equal(new Set(chunks.map((c) => c.buffer)).size, chunks.length, 'no two chunks share an ArrayBuffer');
  // One metric alone: more than one turn means the loop ran inside it.
  for (const [kind, alone] of [
    ['counter', counterOnly],
    ['gauge', gaugeOnly],
    ['summary', summaryOnly],
  ] as const) {
    const loop = countLoopTurns();
    assert.ok((await sliced(alone, { sliceMs: 2 })).text === (await alone.metrics()), `${kind}: the same bytes`);
    const turns = loop.take();
    loop.stop();
    assert.ok(turns > 2, `the loop ran ${turns} turns while one large ${kind} was written`);
  }
});

test('serializeInSlices writes integers digit by digit and cuts chunks only between characters: the same bytes for edge values at every chunk size', async () => {
  const registry = new Registry();
  const gauge = new Gauge({ name: 'test_edges', help: 'g', labelNames: ['v'], registers: [registry] });
  const values = [0, -0, 1, -1, 9, 10, 99, 100, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 1e21, 0.1, -2.5e-7, 123.456];
  for (const [i, value] of values.entries()) gauge.set({ v: `${i}€` }, value);
  const histogram = new Histogram({ name: 'test_h', help: 'h', labelNames: ['k'], buckets: [0.005, 1, 1e3], registers: [registry] });
  for (let i = 0; i < 40; i++) histogram.observe({ k: `ключ-${i % 3}` }, i ** 2);
  const summary = new Summary({ name: 'test_s', help: 's', labelNames: ['k'], percentiles: [0.5, 0.9], registers: [registry] });
  for (let i = 0; i < 10; i++) summary.observe({ k: '€' }, 5);
  const expected = await registry.metrics();
  assert.match(expected, /^test_edges\{v="10€"\} 9007199254740991$/m, 'the registry holds the largest safe integer');
  for (const chunkBytes of [4, 5, 16, 17, 18, 31, 64, 4096]) {
    const { text, chunks } = await sliced(registry, { sliceMs: 5, chunkBytes });
    assert.ok(text === expected, `chunkBytes ${chunkBytes}: the same bytes as registry.metrics()`);
    // Every chunk decodes on its own: no character is split between two chunks.
    for (const chunk of chunks)
      assert.ok(chunk.byteLength <= chunkBytes && new TextDecoder('utf-8', { fatal: true }).decode(chunk) !== undefined);
  }
});

test("serializeInSlices compresses a summary's t-digest only when it took observations since the last snapshot; the text stays prom-client's", async () => {
  const registry = new Registry();
  const summary = new Summary({ name: 'test_s', help: 's', labelNames: ['k'], percentiles: [0.5, 0.99], registers: [registry] });
  for (const k of ['a', 'b', 'c']) summary.observe({ k }, 1);
  // Count the compress() calls of each label set's digest (prom-client's series map, as the writer reads it).
  const hashMap = (summary as unknown as { hashMap: Record<string, { labels: { k: string }; td: { compress(): void } }> }).hashMap;
  const compressed: Record<string, number> = {};
  for (const series of Object.values(hashMap)) {
    const original = series.td.compress.bind(series.td);
    compressed[series.labels.k] = 0;
    series.td.compress = () => {
      compressed[series.labels.k] = (compressed[series.labels.k] ?? 0) + 1;
      original();
    };
  }
  const snapshot = async (): Promise<string> => (await sliced(registry, { sliceMs: 5 })).text;
  await snapshot();
  assert.deepEqual(compressed, { a: 1, b: 1, c: 1 }, 'the first snapshot compresses every digest');
  await snapshot();
  assert.deepEqual(compressed, { a: 1, b: 1, c: 1 }, 'no observation since: no digest is rebuilt');
  summary.observe({ k: 'b' }, 3);
  const text = await snapshot();
  assert.deepEqual(compressed, { a: 1, b: 2, c: 1 }, 'only the label set that took an observation');
  assert.ok(text === (await registry.metrics()), 'the same bytes as registry.metrics()');
  assert.match(text, /^test_s\{quantile="0.99",k="b"\} 3$/m);
});

test("serializeInSlices checks its writers against the installed prom-client once, and uses prom-client's writer for everything when they differ", () => {
  const fixture = new URL('./fixtures/changed-prom-client.js', import.meta.url);
  const run = spawnSync(process.execPath, [fileURLToPath(fixture)], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), { same: true, changedFormat: true });
});

test('serializeInSlices leaves out the skipped families and nothing else', async () => {
  const make = (withLive: boolean): Registry => {
    const registry = new Registry();
    new Gauge({ name: 'test_before', help: 'g', registers: [registry] }).set(1);
    if (withLive) new Gauge({ name: 'test_live', help: 'g', registers: [registry] }).set(2);
    new Histogram({ name: 'test_after', help: 'h', buckets: [1], registers: [registry] }).observe(0.5);
    if (withLive) new Gauge({ name: 'test_live_last', help: 'g', registers: [registry] }).set(3);
    return registry;
  };
  const { text } = await sliced(make(true), { sliceMs: 5, skip: new Set(['test_live', 'test_live_last']) });
  assert.equal(text, await make(false).metrics());
});

test('the watchdog serves a multi-chunk snapshot whole, its live families once, and keeps the previous snapshot when writing one fails', async () => {
  const app = Fastify();
  await app.register(telemetry, { watchdog: { port: 0, snapshotIntervalMs: 100 }, defaultMetrics: false, threadpoolCanary: false });
  // 30 000 label sets with multi-byte values: about 1.6 MB, several 256 KiB chunks, written before the failing gauge.
  const big = new Counter({ name: 'test_big_total', help: 'c', labelNames: ['id'], registers: [app.telemetry.registry] });
  for (let i = 0; i < 30_000; i++) big.inc({ id: `série-${i}` }, i);
  let failing = false;
  let failures = 0;
  let generation = 0;
  new Gauge({
    name: 'test_generation',
    help: 'Which snapshot this is.',
    registers: [app.telemetry.registry],
    collect() {
      if (failing) {
        failures += 1;
        throw new Error('collect failed on purpose');
      }
      generation += 1;
      this.set(generation);
    },
  });
  await app.ready();
  try {
    const url = `http://127.0.0.1:${app.telemetry.watchdogAddress()?.port}/metrics`;
    const linesOf = (text: string, name: string): string[] =>
      text.split('\n').filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`));
    const expected = linesOf(await app.telemetry.registry.metrics(), 'test_big_total');
    generation -= 1; // that registry.metrics() ran collect() once more

    // Scrapes until one gets a snapshot that passes `ready` (a large snapshot on a loaded machine
    // may take longer than the 200 ms a scrape waits for it).
    const scrapeUntil = async (ready: (text: string) => boolean, what: string): Promise<string> => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const text = await (await fetch(url)).text();
        if (ready(text)) return text;
        assert.ok(Date.now() < deadline, `no snapshot with ${what} within 15 s`);
        await sleep(150);
      }
    };
    const generationIn = (text: string): number => Number(linesOf(text, 'test_generation')[0]?.split(' ')[1]);

    const first = await scrapeUntil((text) => linesOf(text, 'test_big_total').length > 0, 'the big counter');
    assert.deepEqual(linesOf(first, 'test_big_total'), expected, 'every label set, in order, bytes intact across chunks');
    for (const live of ['runtime_eventloop_stall_seconds', 'runtime_watchdog_snapshot_age_seconds', 'runtime_watchdog_up']) {
      assert.equal(first.split('\n').filter((line) => line === `# TYPE ${live} gauge`).length, 1, `${live} once (from the worker)`);
    }
    const firstGeneration = generationIn(first);
    const firstAt = Date.now();

    failing = true;
    const failedBefore = failures;
    const stale = await scrapeUntil(() => failures > failedBefore, 'a failed attempt');
    assert.equal(generationIn(stale), firstGeneration, 'the previous snapshot');
    assert.deepEqual(linesOf(stale, 'test_big_total'), expected, "the failed snapshot's chunks were not served");
    // Its age counts from before the first scrape's answer.
    const age = Number(/^runtime_watchdog_snapshot_age_seconds (\S+)$/m.exec(stale)?.[1]);
    assert.ok(age > (Date.now() - firstAt) / 1000 - 0.05, `with its age (${age} s)`);

    failing = false;
    const fresh = await scrapeUntil((text) => generationIn(text) > firstGeneration, 'a fresh generation after the failure');
    assert.deepEqual(linesOf(fresh, 'test_big_total'), expected, 'and only its own chunks (none left over from the failed one)');
  } finally {
    await app.close();
  }
});
