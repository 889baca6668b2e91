import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import telemetry from '../src/index.js';
import { kInternals, type TelemetryInternals } from '../src/plugin.js';
import { bucketsDelta, bucketsOf, parseExposition, scrapeMetrics, sumOf } from '@runtime-lab/scrape';
import { promtoolCheck, startBlockingApp, startPoller, unexpectedFindings } from './helpers.js';

let app: FastifyInstance;
let appUrl: string;
let watchdogUrl: string;

before(async () => {
  ({ app, appUrl, watchdogUrl } = await startBlockingApp({ watchdog: { port: 0 }, metricsRoute: true }, (app) => {
    app.get('/ping', async () => ({ ok: true }));
  }));
});

after(() => app.close());

test('the watchdog port answers while the main thread is blocked, with a growing stall value', async () => {
  const blockMs = 1200;
  const poller = await startPoller({ url: `${watchdogUrl}/metrics`, count: 20, intervalMs: 50, startDelayMs: 100 });
  poller.go();
  const response = await fetch(`${appUrl}/block?ms=${blockMs}`);
  const { startedMs, endedMs } = (await response.json()) as { startedMs: number; endedMs: number };
  const results = await poller.results;

  // Polls sent well inside the block: the main loop could not have answered any of them.
  const during = results.filter((r) => r.sentMs > startedMs + 100 && r.sentMs + r.latencyMs < endedMs);
  assert.ok(during.length >= 5, `expected >= 5 polls answered inside the ${blockMs} ms block, got ${during.length}`);
  const stalls = during.map((r) => {
    assert.equal(r.status, 200, `poll failed during the block: ${r.error ?? r.status}`);
    const value = sumOf(parseExposition(r.body ?? ''), 'runtime_eventloop_stall_seconds');
    assert.ok(value !== undefined, 'runtime_eventloop_stall_seconds missing from the watchdog output');
    // Live value: at least the time the block had already lasted when the poll was answered.
    assert.ok(value >= (r.sentMs - startedMs) / 1000 - 0.05, `stall ${value}s lags the block (${r.sentMs - startedMs} ms in)`);
    return value;
  });
  for (let i = 1; i < stalls.length; i++) {
    assert.ok((stalls[i] ?? 0) > (stalls[i - 1] ?? 0), `stall values must grow during the block: ${stalls.join(', ')}`);
  }
  // Each poll was answered promptly even though the loop was blocked (generous bound: 2 busy cores).
  const slowest = Math.max(...during.map((r) => r.latencyMs));
  assert.ok(slowest < blockMs / 2, `watchdog answers took up to ${slowest.toFixed(0)} ms during the block`);

  const body = during.at(-1)?.body ?? '';
  assert.equal(sumOf(parseExposition(body), 'runtime_watchdog_up'), 1);
  const age = sumOf(parseExposition(body), 'runtime_watchdog_snapshot_age_seconds') ?? 0;
  assert.ok(age > 0.5, `the snapshot cannot be refreshed during the block, so its age grows (got ${age})`);
});

test('a known block lands as one stall event, and as the time it held the loop in the delay histogram', async () => {
  const blockMs = 250;
  const beforeScrape = await scrapeMetrics(`${appUrl}/metrics`);
  await fetch(`${appUrl}/block?ms=${blockMs}`);
  // Let the sampling timer fire after the block before reading.
  await new Promise((r) => setTimeout(r, 50));
  const afterScrape = await scrapeMetrics(`${appUrl}/metrics`);
  const deltaOf = (name: string) => bucketsDelta(bucketsOf(afterScrape.families, name), bucketsOf(beforeScrape.families, name));
  const countAbove = (delta: ReturnType<typeof deltaOf>, le: number): number => {
    const all = delta.at(-1)?.count ?? 0;
    const below = delta.find((b) => b.le === le)?.count ?? 0;
    return all - below;
  };
  // As an event, the 250 ms stall is in (0.16, 0.32]: exactly one stall above 160 ms and none
  // above 320 ms. (Other test files run in parallel on a shared machine, so smaller stalls from
  // CPU contention can appear beside it; they are not the block.)
  const events = deltaOf('runtime_eventloop_stall_duration_seconds');
  assert.equal(countAbove(events, 0.16), 1, `stall events: ${JSON.stringify(events)}`);
  assert.equal(countAbove(events, 0.32), 0, `stall events: ${JSON.stringify(events)}`);
  // Weighted by time: the ~90 ms of the block during which a ready task would have waited more
  // than 160 ms are ~9 observations of the 10 ms grid (one interval either way for the phase).
  // On a shared machine the process can also be descheduled around the block, lengthening the
  // stall the loop felt, but not past the 320 ms its event was just found under: at most 16.
  const delay = deltaOf('runtime_eventloop_delay_seconds');
  const over160 = countAbove(delay, 0.16);
  assert.ok(over160 >= 7 && over160 <= 16, `delay observations above 160 ms: ${over160}; ${JSON.stringify(delay)}`);
  assert.equal(countAbove(delay, 0.32), 0, `delay buckets: ${JSON.stringify(delay)}`);
  const max = sumOf(afterScrape.families, 'runtime_eventloop_delay_max_seconds') ?? 0;
  // A max over the last 5 s: it may still hold the previous test's longer block.
  assert.ok(max >= 0.2, `max over the window should reflect the 250 ms stall, got ${max}`);
});

test('promtool check metrics passes on the app route and on the watchdog output', async () => {
  await fetch(`${appUrl}/ping`);
  await fetch(`${appUrl}/no-such-route`);
  for (const url of [`${appUrl}/metrics`, `${watchdogUrl}/metrics`]) {
    const text = await (await fetch(url)).text();
    const result = promtoolCheck(text);
    assert.deepEqual(unexpectedFindings(result), [], `promtool findings for ${url}`);
    assert.ok(result.status === 0 || result.status === 3, `promtool exit ${result.status} for ${url}: ${result.findings.join('; ')}`);
  }
});

test('without prom-client defaults, promtool finds nothing at all', async () => {
  const bare = Fastify();
  await bare.register(telemetry, { watchdog: { port: 0 }, defaultMetrics: false, metricsRoute: true });
  bare.get('/x', async () => 'x');
  // Real HTTP: the HTTP metrics come from Node's HTTP server, which inject() bypasses.
  await bare.listen({ port: 0, host: '127.0.0.1' });
  try {
    const address = bare.server.address();
    assert.ok(address && typeof address === 'object');
    await (await fetch(`http://127.0.0.1:${address.port}/x`)).text();
    const text = (await bare.inject('/metrics')).body;
    assert.match(text, /runtime_http_request_duration_seconds_bucket/);
    const result = promtoolCheck(text);
    assert.deepEqual({ status: result.status, findings: result.findings }, { status: 0, findings: [] });
  } finally {
    await bare.close();
  }
});

test('/healthz answers with the live stall; unknown paths get 404', async () => {
  const health = await fetch(`${watchdogUrl}/healthz`);
  assert.equal(health.status, 200);
  const body = (await health.json()) as { status: string; stallSeconds: number };
  assert.equal(body.status, 'ok');
  assert.ok(body.stallSeconds >= 0 && body.stallSeconds < 1, `idle stall should be small: ${body.stallSeconds}`);
  assert.equal((await fetch(`${watchdogUrl}/nope`)).status, 404);
});

test('a crashed watchdog is logged, reported as watchdog_up 0, and the app keeps serving', async () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  const registry = new Registry();
  const crashing = Fastify({ logger: { level: 'error', stream } });
  await crashing.register(telemetry, { watchdog: { port: 0 }, registry, metricsRoute: true });
  crashing.get('/ping', async () => ({ ok: true }));
  await crashing.listen({ port: 0, host: '127.0.0.1' });
  try {
    const port = crashing.telemetry.watchdogAddress()?.port;
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    const internals = (crashing.telemetry as unknown as { [kInternals]: TelemetryInternals })[kInternals];
    const worker = internals.watchdog?.worker;
    assert.ok(worker);
    const exited = new Promise((r) => worker.once('exit', r));
    worker.postMessage({ type: 'crash' });
    await exited;

    const families = parseExposition(await registry.metrics());
    assert.equal(sumOf(families, 'runtime_watchdog_up'), 0);
    const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } });
    const entry = logged.find((l) => /watchdog thread crashed/.test(l.msg));
    assert.ok(entry, `expected a crash log line, got ${JSON.stringify(logged)}`);
    assert.match(entry.err?.message ?? '', /watchdog crash requested/);

    const address = crashing.server.address();
    assert.ok(address && typeof address === 'object');
    const ping = await fetch(`http://127.0.0.1:${address.port}/ping`);
    assert.equal(ping.status, 200);
    const appMetrics = await (await fetch(`http://127.0.0.1:${address.port}/metrics`)).text();
    assert.match(appMetrics, /^runtime_watchdog_up 0$/m);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'the crashed watchdog no longer listens');
  } finally {
    await crashing.close();
  }
});

test('close() stops the watchdog and takes its metrics out of the registry', async () => {
  const registry = new Registry();
  const closing = Fastify();
  await closing.register(telemetry, { watchdog: { port: 0 }, registry });
  await closing.ready();
  const port = closing.telemetry.watchdogAddress()?.port;
  assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
  await closing.close();
  await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  assert.deepEqual(
    registry.getMetricsAsArray().map((m) => m.name),
    [],
  );
});

/** The nice value of each of this process's threads (Linux: /proc/self/task/<tid>/stat, field 19). */
function threadNiceValues(): Map<number, number> {
  const values = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      values.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return values;
}

test("on Linux the watchdog thread alone runs 10 nice steps below the event loop's priority; watchdog.nice 0 leaves it at the loop's, 19 goes to the lowest", {
  skip: process.platform !== 'linux' && 'per-thread nice values are a Linux feature',
}, async () => {
  const base = threadNiceValues().get(process.pid) as number;
  const lowered = (): number[] => [...threadNiceValues().values()].filter((nice) => nice !== base);
  const plus = (n: number): number => Math.min(19, base + n);
  assert.deepEqual(lowered(), [plus(10)], `one thread (the watchdog of the app started above) at nice ${plus(10)}, the rest at ${base}`);
  const other = await startBlockingApp({ watchdog: { port: 0, nice: 0 } });
  try {
    assert.ok(other.watchdogUrl, 'the second app has a watchdog');
    assert.deepEqual(lowered(), [plus(10)], "the second watchdog (nice 0) kept the loop's priority");
  } finally {
    await other.app.close();
  }
  const third = await startBlockingApp({ watchdog: { port: 0, nice: 19 } });
  try {
    assert.deepEqual(
      lowered().sort((a, b) => a - b),
      [plus(10), plus(19)].sort((a, b) => a - b),
      'watchdog.nice 19: that watchdog thread at the lowest priority',
    );
  } finally {
    await third.app.close();
  }
});
