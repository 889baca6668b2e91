// Open-loop sender, run in its own worker thread so that nothing else the runner does
// (the closed-loop pressure stream, scraping, rendering) can delay a send. Each request has an
// intended send time fixed by the schedule; latency is measured from that time, so a
// stalled service is charged for every request it kept waiting, including the ones that
// could not even be sent on time (no coordinated omission). Timeouts are recorded with
// their latency, never dropped. X-Request-Start carries the *actual* send time: the server's
// queue-time metric must measure the wait for its loop, not this sender's own lateness.
//
// Sockets: a request that needs a new connection during a stall pays for it on the server
// (accept, then the first read, each wait for a loop turn; with 600 ms blocks measured here,
// 61 % of probes on fresh connections timed out at 5 s, none on pre-opened ones, P99 ~1.2 s).
// So the keep-alive sockets are opened before the schedule starts, and reused in FIFO order so
// each stays warm within the server's keep-alive timeout. The pool is not capped: when more
// requests are in flight than were pre-opened, new connections are made rather than holding a
// request back on the client (which would be the runner's delay, not the service's).
//
// The HTTP client is open-loop-client.ts (pre-serialized requests on node:net sockets, one
// request per connection at a time): Node's own client cost ~90-100 µs of CPU per request here,
// which capped this thread near 10 000 req/s with the schedule already slipping by milliseconds.
import { parentPort, workerData } from 'node:worker_threads';
import { OpenLoopClient } from './open-loop-client.js';
import type { OpenLoopConfig, WorkerCommand, WorkerEvent } from './open-loop-protocol.js';
import { type SerializedRequest, requestPicker, requestText } from './request-bytes.js';

const config = workerData as OpenLoopConfig;
const port = parentPort;
if (!port) throw new Error('open-loop-worker must run in a worker thread');

const FLUSH_EVERY_MS = 200;
const MAX_SEND_SLICE_MS = 5;
const WARMUP_TIMEOUT_MS = 5000;
const url = new URL(config.url);
if (url.protocol !== 'http:') throw new Error(`open-loop sender: ${url.protocol} URLs are not supported; only http: (HTTP/1.1 in clear)`);
// The cold client (`connection: 'new'`) opens a connection per request and closes it after the
// answer; its latency from the intended send time includes the connect and the accept.
const client = new OpenLoopClient({
  // A bracketed IPv6 literal in a URL is a bare address for net.connect.
  host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
  port: Number(url.port || 80),
  timeoutMs: config.timeoutMs,
  connection: config.connection ?? 'keep-alive',
  now: () => nowEpochMs(),
});
const nextRequest = requestPicker(config);

const nowEpochMs = (): number => performance.timeOrigin + performance.now();

let pending: number[] = [];
let inFlight = 0;
let stopped = false;
let startMs = 0;
let endMs = 0;
let nextMs = 0;
let sendTimer: NodeJS.Timeout | undefined;

function rateAt(offsetMs: number): number {
  let rate = config.segments[0]?.ratePerSecond ?? 1;
  for (const segment of config.segments) {
    if (segment.fromMs <= offsetMs) rate = segment.ratePerSecond;
    else break;
  }
  return rate;
}

const instants = config.instantsMs;
let instantIndex = 0;

// The schedule is kept as an offset from the start: added to an epoch time (~1.8e12 ms, where a
// double's step is 2.4e-4 ms), a 0.1 ms interval is rounded the same way every time, and the
// schedule drifted by ~0.1 % (9990 req/s sent for 10 000, 12 012 for 12 000).
let nextOffsetMs = 0;

/** The intended send time after `previous`: the next instant, or one interval of the current rate on. */
function following(previous: number): number {
  if (instants) {
    instantIndex += 1;
    const offset = instants[instantIndex];
    return offset === undefined ? Number.POSITIVE_INFINITY : startMs + offset;
  }
  nextOffsetMs += 1000 / rateAt(previous - startMs);
  return startMs + nextOffsetMs;
}

function post(event: WorkerEvent, transfer?: ArrayBuffer[]): void {
  port?.postMessage(event, transfer);
}

function flush(): void {
  if (pending.length === 0) return;
  const records = Float64Array.from(pending);
  pending = [];
  post({ type: 'records', records }, [records.buffer as ArrayBuffer]);
}

function record(intendedMs: number, outcome: number, sendErrorMs: number): void {
  pending.push(intendedMs, nowEpochMs() - intendedMs, outcome, sendErrorMs);
}

// This thread's share of the schedule: request i (over the whole stream) is sent here when
// i mod of = index. Every thread walks the whole schedule and the whole variant sequence, so
// intended times and variants are those a single thread would have sent.
const shareIndex = config.share?.index ?? 0;
const shareOf = config.share?.of ?? 1;
let scheduled = 0;

function send(intendedMs: number, sentMs: number, request: SerializedRequest): void {
  inFlight += 1;
  client.send(requestText(request, sentMs), request.headOnly, sentMs, (outcome) => {
    record(intendedMs, outcome, sentMs - intendedMs);
    inFlight -= 1;
    maybeDone();
  });
}

function tick(): void {
  sendTimer = undefined;
  if (stopped) return;
  const tickStart = nowEpochMs();
  let now = tickStart;
  // Catch up on every send that is due: after a hiccup of this thread the late requests
  // still go out, each charged from its own intended time. In slices of at most
  // MAX_SEND_SLICE_MS, with the answers read between them: a catch-up that never yielded (seen
  // at 10 000 req/s on a loaded machine: each late request needing a new connection, 0.4 ms
  // each, while more fell due) would read no answer, free no connection and flush no record
  // until the schedule ended. A request held by the slice waits on this thread, and its send
  // error says so.
  while (nextMs <= now && nextMs < endMs) {
    const request = nextRequest();
    if (scheduled % shareOf === shareIndex) {
      send(nextMs, now, request);
      now = nowEpochMs();
    }
    scheduled += 1;
    nextMs = following(nextMs);
    if (now - tickStart > MAX_SEND_SLICE_MS && nextMs <= now) {
      setImmediate(tick);
      return;
    }
  }
  if (nextMs >= endMs) {
    stopped = true;
    maybeDone();
    return;
  }
  // Timers fire late, never early; rounding down keeps the error under a millisecond or so.
  sendTimer = setTimeout(tick, Math.max(0, Math.floor(nextMs - nowEpochMs())));
}

function maybeDone(): void {
  if (!stopped || inFlight > 0) return;
  clearInterval(flushTimer);
  flush();
  client.close();
  post({ type: 'done', connectionsOpened: client.connectionsOpened });
}

const flushTimer = setInterval(flush, FLUSH_EVERY_MS);

port.on('message', (command: WorkerCommand) => {
  if (command.type === 'start') {
    startMs = command.startEpochMs;
    endMs = startMs + config.durationMs;
    nextMs = instants ? startMs + (instants[0] ?? Number.POSITIVE_INFINITY) : startMs;
    sendTimer = setTimeout(tick, Math.max(0, Math.floor(startMs - nowEpochMs())));
  } else if (command.type === 'stop') {
    if (sendTimer) clearTimeout(sendTimer);
    stopped = true;
    maybeDone();
  }
});

/** Opens the warm-up sockets (concurrently, so each is a connection of its own); returns how many are open. */
async function warmUp(): Promise<number> {
  const warmup = config.warmup;
  if (!warmup || warmup.sockets <= 0 || config.connection === 'new') return 0;
  // No X-Request-Start: these are not the schedule's requests, and no queue time is theirs.
  const target = new URL(warmup.path, url);
  const request = `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`;
  return client.warmUp(request, warmup.sockets, WARMUP_TIMEOUT_MS);
}

warmUp().then(
  (openSockets) => post({ type: 'ready', openSockets }),
  () => post({ type: 'ready', openSockets: 0 }),
);
