// Stall attribution on real threads: the app's main thread blocks for real, the watchdog
// worker captures its stack through an in-process inspector session, and the results are read
// where users read them (GET /stalls on the watchdog port, the log, /metrics).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Fastify, { type FastifyInstance } from 'fastify';
import { Counter, Registry } from 'prom-client';
import { parseExposition, sumOf } from '@runtime-lab/scrape';
import telemetry, { type AttributedStall, type StallsSnapshot } from '../src/index.js';
import { blockFor } from './helpers.js';

const lines: string[] = [];
let app: FastifyInstance;
let registry: Registry;
let watchdogUrl: string;

before(async () => {
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  registry = new Registry();
  app = Fastify({ logger: { level: 'warn', stream } });
  await app.register(telemetry, { registry, defaultMetrics: false, watchdog: { port: 0 }, stallAttribution: { logIntervalMs: 0 } });
  await app.ready();
  watchdogUrl = `http://127.0.0.1:${app.telemetry.watchdogAddress()?.port}`;
});

after(() => app.close());

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stalls(url = watchdogUrl): Promise<StallsSnapshot> {
  const response = await fetch(`${url}/stalls`);
  assert.equal(response.status, 200);
  return (await response.json()) as StallsSnapshot;
}

// On a shared machine the main thread also stalls for reasons of its own (a module loaded on
// first use, the OS not scheduling it): each test picks the stall that began inside its own
// window. startedAt is the last heartbeat before the stall: one 10 ms period early on an idle
// machine, more when the OS deschedules the process just before (75 ms seen). Blocks that must be
// told apart are at least 200 ms apart.
const HEARTBEAT_SLACK_MS = 150;

/**
 * Waits for the finished stall of at least minSeconds that began between `fromMs` and `toMs`
 * (epoch ms); the longest if several. The minimum keeps a short stall of the same window from
 * standing in for the block while the block's own stall is still being finalised.
 */
async function stallBetween(fromMs: number, toMs: number, minSeconds: number, url = watchdogUrl): Promise<AttributedStall> {
  for (let i = 0; i < 100; i++) {
    const inside = (await stalls(url)).recent.filter((s) => {
      const startedMs = Date.parse(s.startedAt);
      return startedMs >= fromMs - HEARTBEAT_SLACK_MS && startedMs <= toMs && s.durationSeconds >= minSeconds;
    });
    const longest = inside.sort((a, b) => b.durationSeconds - a.durationSeconds)[0];
    if (longest) return longest;
    await pause(100);
  }
  assert.fail(`no stall began between ${fromMs} and ${toMs}: ${JSON.stringify(await stalls(url))}`);
}

test('a stall is attributed to the function that blocked, mapped to its TypeScript line, and listed while it lasts', async () => {
  // Read /stalls from another thread while this one is blocked: a fetch from here could not run.
  // The poller keeps the first answer that lists the ongoing stall with a captured frame.
  const poller = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     let last;
     let goMs;
     const deadline = Date.now() + 5000;
     const mine = (s) => s && s.frame && Date.parse(s.startedAt) >= goMs - ${HEARTBEAT_SLACK_MS};
     const poll = async () => {
       last = await (await fetch(workerData + '/stalls')).json();
       if (mine(last.ongoing) || Date.now() > deadline) parentPort.postMessage(last);
       else setTimeout(poll, 25);
     };
     parentPort.once('message', (m) => { goMs = m; poll(); });
     // The first fetch of a thread loads its HTTP client: done before the block starts.
     fetch(workerData + '/stalls').then(() => parentPort.postMessage('ready'));`,
    { eval: true, workerData: watchdogUrl },
  );
  after(() => poller.terminate());
  await once(poller, 'message');
  const during = once(poller, 'message') as Promise<[StallsSnapshot]>;
  const goMs = Date.now();
  poller.postMessage(goMs);
  blockFor(1000);
  const endMs = Date.now();
  const [seen] = await during;
  const ongoing = seen.ongoing;
  assert.ok(ongoing, 'the stall was listed while the main thread was still blocked');
  assert.equal(ongoing.ongoing, true);
  assert.equal(ongoing.frame?.function, 'blockFor', JSON.stringify(ongoing));

  const stall = await stallBetween(goMs, endMs, 0.9);
  assert.equal(stall.ongoing, false);
  assert.equal(stall.frame?.function, 'blockFor');
  assert.match(stall.frame?.source?.file ?? '', /packages\/telemetry\/test\/helpers\.ts$/, 'mapped to the TypeScript source');
  assert.match(stall.frame?.file ?? '', /dist\/test\/helpers\.js$/, 'the JavaScript position is kept');
  assert.ok(stall.durationSeconds >= 0.9 && stall.durationSeconds < 5, `duration ${stall.durationSeconds} s for a 1000 ms block`);
  assert.ok(stall.firstStackAfterMs !== null && stall.firstStackAfterMs >= 100, 'first stack taken after the 100 ms threshold');
  assert.ok(stall.samples >= 2, `a 1000 ms stall is sampled more than once (${stall.samples})`);

  const logged = lines.map((l) => JSON.parse(l) as { msg: string; stall?: { frame: string } });
  assert.ok(
    logged.some(
      (l) => /^event loop stalled \d+ ms in blockFor \(.*helpers\.ts:\d+\)$/.test(l.msg) && l.stall?.frame?.startsWith('blockFor'),
    ),
    JSON.stringify(logged),
  );
  const families = parseExposition(await registry.metrics());
  const counted = families.get('runtime_eventloop_attributed_stalls_total')?.samples.find((s) => s.labels.frame?.startsWith('blockFor ('));
  assert.ok(counted && counted.value >= 1, 'counted under the frame label');
});

// A real incident shape: a label-cardinality explosion makes every exposition a long synchronous
// loop inside prom-client. The stall must be pinned on prom-client's own function, not on ours.
test('a stall inside a third-party library is attributed to the library function', async () => {
  const crowded = new Registry();
  const counter = new Counter({ name: 'crowded_total', help: 'many series', labelNames: ['id'], registers: [crowded] });
  // Filling the counter is a stall of its own (in this test's function), before the window.
  for (let i = 0; i < 300_000; i++) counter.inc({ id: String(i) });
  await pause(200);
  const fromMs = Date.now();
  await crowded.metrics();
  const stall = await stallBetween(fromMs, Date.now(), 0.15);
  assert.ok(stall.frame, JSON.stringify(stall));
  assert.match(
    stall.frame.file ?? '',
    /\/node_modules\/.*prom-client\/lib\/[a-z/]+\.js$/,
    `attributed inside prom-client: ${JSON.stringify(stall.frame)}`,
  );
  assert.notEqual(stall.frame.function, '<anonymous>');
});

test('GET /stalls?since= lists only stalls that began after it; a bad value is a 400 naming what is allowed', async () => {
  // A free loop first, so the heartbeat marks where this block's stall begins.
  await pause(300);
  const fromMs = Date.now();
  blockFor(300);
  const stall = await stallBetween(fromMs, Date.now(), 0.25);
  const startedMs = Date.parse(stall.startedAt);
  const since = async (value: string) => (await (await fetch(`${watchdogUrl}/stalls?since=${value}`)).json()) as StallsSnapshot;
  assert.ok((await since(String(startedMs - 1))).recent.some((s) => s.startedAt === stall.startedAt));
  assert.deepEqual((await since(String(startedMs))).recent, []);
  assert.deepEqual((await since(encodeURIComponent(new Date(startedMs).toISOString()))).recent, []);
  const bad = await fetch(`${watchdogUrl}/stalls?since=yesterday`);
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /^since: got "yesterday", allowed: an ISO 8601 date-time or epoch milliseconds/);
});

test('no stall is captured when blocks stay under the threshold; the same block over it is', async () => {
  // Its own app with a 300 ms threshold, so 150 ms blocks sit far below it even on a busy machine.
  const quietRegistry = new Registry();
  const quiet = Fastify();
  await quiet.register(telemetry, {
    registry: quietRegistry,
    defaultMetrics: false,
    watchdog: { port: 0 },
    stallAttribution: { thresholdMs: 300 },
  });
  await quiet.ready();
  after(() => quiet.close());
  const url = `http://127.0.0.1:${quiet.telemetry.watchdogAddress()?.port}`;
  const fromMs = Date.now();
  for (let i = 0; i < 8; i++) {
    blockFor(150);
    await pause(30);
  }
  await pause(400);
  const underMs = Date.now();
  const all = (await stalls(url)).recent;
  // Strict here (one heartbeat period): a stall of the app's start-up may have begun just before.
  const listed = all.filter((s) => Date.parse(s.startedAt) >= fromMs - 20);
  assert.deepEqual(listed, [], 'nothing listed for blocks under the threshold');
  // The counter counts what is listed (a stall while the app started, if any, in both).
  assert.equal(sumOf(parseExposition(await quietRegistry.metrics()), 'runtime_eventloop_attributed_stalls_total') ?? 0, all.length);

  blockFor(700);
  const overMs = Date.now();
  const caught = await stallBetween(underMs, overMs, 0.6, url);
  assert.equal(caught.frame?.function, 'blockFor', 'the control block over the threshold is attributed');
});

test('off by default: no /stalls and no attribution metrics', async () => {
  const plain = Fastify();
  const plainRegistry = new Registry();
  await plain.register(telemetry, { registry: plainRegistry, defaultMetrics: false, watchdog: { port: 0 } });
  await plain.ready();
  try {
    const response = await fetch(`http://127.0.0.1:${plain.telemetry.watchdogAddress()?.port}/stalls`);
    assert.equal(response.status, 404);
    assert.match(await response.text(), /stall attribution is off/);
    assert.doesNotMatch(await plainRegistry.metrics(), /attribut/);
  } finally {
    await plain.close();
  }
});

test('bad stallAttribution options fail registration with a message naming the option', async () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ thresholdMs: 5 }, /stallAttribution\.thresholdMs: got 5, allowed: an integer from 20 to 60000/],
    [{ nope: 1 }, /stallAttribution\.nope: got 1, allowed: no such option/],
    ['yes', /stallAttribution: got "yes", allowed: false, true or an object/],
  ];
  for (const [value, message] of cases) {
    const bad = Fastify();
    bad.register(telemetry, { watchdog: { port: 0 }, stallAttribution: value as object });
    await assert.rejects(async () => {
      await bad.ready();
    }, message);
    await bad.close();
  }
  const noWatchdog = Fastify();
  noWatchdog.register(telemetry, { watchdog: false, stallAttribution: {} });
  await assert.rejects(async () => {
    await noWatchdog.ready();
  }, /needs the watchdog thread/);
  await noWatchdog.close();
});

test('refused inside a worker thread (it could only reach the main thread): logged, off, app runs', async () => {
  const worker = new Worker(new URL('./fixtures/attribution-in-worker.js', import.meta.url));
  const [seen] = (await once(worker, 'message')) as [{ lines: string[]; stallsStatus: number; metrics: string }];
  await worker.terminate();
  const warned = seen.lines.filter((l) => l.includes('only the main thread can be attributed'));
  assert.equal(warned.length, 1, seen.lines.join('\n'));
  assert.equal(seen.stallsStatus, 404, 'no sampler in the watchdog');
  assert.doesNotMatch(seen.metrics, /attribut/);
});

const FIXTURE = fileURLToPath(new URL('./fixtures/attribution-app.js', import.meta.url));

async function startFixture(nodeArgs: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...nodeArgs, FIXTURE], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const exited = once(child, 'exit');
  after(() => child.kill('SIGKILL'));
  const output: string[] = [];
  const reader = createInterface({ input: child.stdout });
  reader.on('line', (line) => output.push(line));
  const [first] = (await once(reader, 'line')) as [string];
  const ports = JSON.parse(first) as { port: number; watchdogPort: number };
  return { child, exited, output, reader, ports };
}

// DESIGN's shutdown bound: a process asked to stop exits within 1 s.
const SHUTDOWN_BOUND_MS = 1000;

test('closing the app right after a sampled stall ends lets the process exit by itself within 1 s', async (t) => {
  const { exited, reader, output, ports } = await startFixture([], { BLOCK_MS: '3000' });
  const url = `http://127.0.0.1:${ports.watchdogPort}`;
  let ongoing: AttributedStall | null = null;
  // Read while the 3 s block lasts (a busy machine can take a while to start polling). With a
  // 20 ms threshold the fixture's start-up can be a stall of its own: wait for the block's.
  for (let i = 0; i < 100 && ongoing?.frame?.function !== 'holdTheLoop'; i++) {
    await pause(25);
    ongoing = (await stalls(url)).ongoing;
  }
  assert.equal(ongoing?.frame?.function, 'holdTheLoop', 'a capture was taken during the block');
  const [line] = (await once(reader, 'line')) as [string];
  const { blockEndedAtMs } = JSON.parse(line) as { blockEndedAtMs: number };
  const [code, signal] = (await exited) as [number | null, string | null];
  const exitMs = Date.now() - blockEndedAtMs;
  t.diagnostic(`exit ${exitMs} ms after the block ended`);
  assert.equal(signal, null, output.join('\n'));
  assert.equal(code, 0, output.join('\n'));
  assert.ok(exitMs < SHUTDOWN_BOUND_MS, `exited ${exitMs} ms after the block ended and the app closed (bound ${SHUTDOWN_BOUND_MS} ms)`);
});

// Node's permission model refuses the inspector (ERR_ACCESS_DENIED) on every supported line:
// a real runtime that does not allow attribution. The app must keep serving, say why once.
test('fails safe where the inspector is refused (permission model): logged once, metric 0, app serves', async () => {
  const flags = process.allowedNodeEnvironmentFlags;
  const permission = flags.has('--permission') ? '--permission' : '--experimental-permission';
  const args = [permission, '--allow-fs-read=*', '--allow-worker'];
  if (flags.has('--allow-net')) args.push('--allow-net');
  const { output, ports } = await startFixture(args);
  const url = `http://127.0.0.1:${ports.watchdogPort}`;
  let snapshot = await stalls(url);
  for (let i = 0; i < 50 && snapshot.reason === 'starting'; i++) {
    await pause(100);
    snapshot = await stalls(url);
  }
  assert.equal(snapshot.enabled, false);
  assert.match(snapshot.reason ?? '', /the inspector is not available: .*(restricted|denied)/i);
  assert.match(await (await fetch(`${url}/metrics`)).text(), /^runtime_stall_attribution_enabled 0$/m);
  assert.equal((await fetch(`http://127.0.0.1:${ports.port}/ping`)).status, 200);
  const offLines = output.filter((l) => l.includes('stall attribution is off'));
  assert.equal(offLines.length, 1, output.join('\n'));
});
