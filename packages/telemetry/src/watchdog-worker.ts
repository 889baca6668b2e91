// The watchdog thread: serves /metrics, /healthz and /livez on its own port, so a scrape is
// answered while the main thread is blocked. A /metrics route on the main loop cannot answer
// during a stall: Prometheus records a gap (scrape timeout), not a spike. Here a scrape gets the last
// registry snapshot (marked with its age) and the live stall: time since the main thread's
// last heartbeat, read from shared memory.
//
// Keep this file's imports to node: builtins, @runtime-lab/metric-names and local files that
// import nothing else: it is loaded by path as a worker, from dist.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { StallSampler } from './stall-sampler.js';
import { type FromWatchdog, liveFamilies, type ToWatchdog, type WatchdogWorkerData } from './watchdog-protocol.js';

const data = workerData as WatchdogWorkerData;
const port = parentPort;
if (!port) throw new Error('watchdog-worker.js must run as a worker thread');
const heartbeat = new BigInt64Array(data.heartbeat);
const { stall: stallName, age: ageName, up: upName } = liveFamilies(data.prefix);

const startedAtNs = process.hrtime.bigint();

// Lower this thread's CPU priority below the event loop's (Linux: setpriority(2) with who = 0
// sets the calling thread's nice value, not the process's). Sharing a CPU, the kernel then runs
// the loop first, and the watchdog writing a large scrape no longer holds it back.
let niceError: string | undefined;
if (data.nice > 0 && process.platform === 'linux') {
  try {
    // A new thread starts at its creator's nice value: the loop's. Raised by data.nice from there
    // (19 is the lowest priority), as `nice -n` does, so the watchdog stays below the loop even in
    // a process started with a nice value of its own.
    setPriority(0, Math.min(19, getPriority(0) + data.nice));
  } catch (error) {
    niceError = error instanceof Error ? error.message : String(error);
  }
}
const sampler = data.attribution ? new StallSampler(data.attribution, heartbeat, (event) => port.postMessage(event)) : undefined;
/** The last complete snapshot: UTF-8 chunks as received (never joined), the live families already left out. */
let snapshotChunks: Uint8Array[] = [];
/** Chunks of the snapshot being written. */
let incoming: Uint8Array[] = [];
let snapshotTakenAtNs: bigint | undefined;

// A scrape that finds the snapshot older than snapshotMaxAgeMs asks the main thread for a
// fresh one and waits up to FRESH_WAIT_MS for it; if the main thread is stalled (no heartbeat
// for STALLED_MS) it does not wait: the previous snapshot and the live stall are the answer.
// Scrapers come back at a steady interval, so after each scrape the next snapshot is asked
// for half a snapshotMaxAgeMs before the next scrape is due: written in a gap between stalls,
// it is there when the scrape comes, even when the loop is blocked most of the time.
const FRESH_WAIT_MS = 200;
const STALLED_MS = 50;
/** Scrapes further apart than this are not a schedule worth preparing for. */
const MAX_SCRAPE_GAP_MS = 60_000;
let freshWanted = false;
const waitingForFresh: Array<() => void> = [];
let lastScrapeNs: bigint | undefined;
let prefetch: NodeJS.Timeout | undefined;

function askForSnapshot(): void {
  if (freshWanted) return;
  freshWanted = true;
  const message: FromWatchdog = { type: 'snapshot-wanted' };
  port?.postMessage(message);
}

function prepareForNextScrape(): void {
  const now = process.hrtime.bigint();
  if (lastScrapeNs !== undefined) {
    const gapMs = Number(now - lastScrapeNs) / 1e6;
    if (gapMs <= MAX_SCRAPE_GAP_MS) {
      clearTimeout(prefetch);
      prefetch = setTimeout(askForSnapshot, Math.max(0, gapMs - data.snapshotMaxAgeMs / 2)).unref();
    }
  }
  lastScrapeNs = now;
}

function freshSnapshot(): Promise<void> {
  askForSnapshot();
  return new Promise((resolve) => {
    waitingForFresh.push(resolve);
    setTimeout(resolve, FRESH_WAIT_MS).unref();
  });
}

function needsFresh(): boolean {
  const now = process.hrtime.bigint();
  const stalledMs = Number(now - Atomics.load(heartbeat, 0)) / 1e6;
  if (stalledMs >= STALLED_MS) return false;
  return snapshotTakenAtNs === undefined || Number(now - snapshotTakenAtNs) / 1e6 > data.snapshotMaxAgeMs;
}

function seconds(ns: bigint): number {
  return Number(ns) / 1e9;
}

function stallSecondsNow(): number {
  return Math.max(0, seconds(process.hrtime.bigint() - Atomics.load(heartbeat, 0)));
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
}

function liveText(): string {
  const now = process.hrtime.bigint();
  const stall = stallSecondsNow();
  // Before the first snapshot there is nothing to be old; report the time since start instead
  // of 0 so an alert on age still fires if snapshots never arrive.
  const age = snapshotTakenAtNs === undefined ? seconds(now - startedAtNs) : Math.max(0, seconds(now - snapshotTakenAtNs));
  return (
    `# HELP ${stallName} Seconds since the main thread's last heartbeat, computed by the watchdog thread at scrape time.\n` +
    `# TYPE ${stallName} gauge\n${stallName} ${stall}\n` +
    `# HELP ${ageName} Age of the registry snapshot served by the watchdog.\n` +
    `# TYPE ${ageName} gauge\n${ageName} ${age}\n` +
    `# HELP ${upName} 1 when the watchdog thread runs.\n` +
    `# TYPE ${upName} gauge\n${upName} 1\n`
  );
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  if (path === '/metrics') {
    if (needsFresh()) await freshSnapshot();
    prepareForNextScrape();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
    if (req.method === 'HEAD') res.end();
    else {
      for (const chunk of snapshotChunks) res.write(chunk);
      res.end(liveText());
    }
    return;
  }
  if (path === '/healthz') {
    // The watchdog thread's own health: 200 whatever the main thread does.
    const now = process.hrtime.bigint();
    sendJson(req, res, 200, {
      status: 'ok',
      stallSeconds: stallSecondsNow(),
      snapshotAgeSeconds: snapshotTakenAtNs === undefined ? null : seconds(now - snapshotTakenAtNs),
    });
    return;
  }
  if (path === '/stalls') {
    if (!sampler) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('stall attribution is off: register the plugin with stallAttribution: {}\n');
      return;
    }
    // ?since=<ISO 8601 or epoch ms>: only stalls that started after it (a poller's increment).
    const since = new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('since');
    const sinceMs = since === null ? undefined : /^\d+$/.test(since) ? Number(since) : Date.parse(since);
    if (Number.isNaN(sinceMs)) {
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end(`since: got ${JSON.stringify(since)}, allowed: an ISO 8601 date-time or epoch milliseconds\n`);
      return;
    }
    sendJson(req, res, 200, sampler.snapshot(sinceMs));
    return;
  }
  if (path === '/livez') {
    // Liveness of the main thread: a kubelet restarts the process after failureThreshold
    // consecutive 503s. A busy loop keeps turning (short stalls), a stuck one does not.
    const stallSeconds = stallSecondsNow();
    const limitSeconds = data.livenessMaxStallMs / 1000;
    const stalled = stallSeconds > limitSeconds;
    sendJson(req, res, stalled ? 503 : 200, { status: stalled ? 'stalled' : 'ok', stallSeconds, limitSeconds });
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz, /livez or /stalls\n');
}

const server = createServer((req, res) => void handle(req, res));
server.keepAliveTimeout = 65_000;
server.on('error', (error: NodeJS.ErrnoException) => {
  const message: FromWatchdog = { type: 'listen-error', code: error.code ?? 'UNKNOWN', message: error.message };
  port.postMessage(message);
});
server.listen(data.port, data.host, () => {
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : data.port;
  const message: FromWatchdog = { type: 'listening', host: data.host, port: bound };
  if (niceError !== undefined) message.niceError = niceError;
  port.postMessage(message);
  void sampler?.start();
});

port.on('message', (message: ToWatchdog) => {
  if (message.type === 'snapshot-chunk') {
    incoming.push(message.chunk);
  } else if (message.type === 'snapshot-done' || message.type === 'snapshot-failed') {
    // A failed snapshot leaves the previous one (its age keeps growing); the next scrape asks again.
    if (message.type === 'snapshot-done') {
      snapshotChunks = incoming;
      snapshotTakenAtNs = message.takenAtNs;
    }
    incoming = [];
    freshWanted = false;
    for (const resolve of waitingForFresh.splice(0)) resolve();
  } else if (message.type === 'crash') {
    setImmediate(() => {
      throw new Error('watchdog crash requested by the main thread (test hook)');
    });
  }
});
