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
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import type { OpenLoopConfig, WorkerCommand, WorkerEvent } from './open-loop-protocol.js';
import { OUTCOME_ERROR, OUTCOME_OK, OUTCOME_TIMEOUT } from './open-loop-protocol.js';
import { seededRandom } from './seeded-random.js';

const config = workerData as OpenLoopConfig;
const port = parentPort;
if (!port) throw new Error('open-loop-worker must run in a worker thread');

const FLUSH_EVERY_MS = 200;
const WARMUP_TIMEOUT_MS = 5000;
const agent = new http.Agent({
  keepAlive: true,
  maxSockets: Number.POSITIVE_INFINITY,
  maxFreeSockets: Math.max(1024, config.warmup?.sockets ?? 0),
  scheduling: 'fifo',
});
const url = new URL(config.url);
const cold = config.connection === 'new';
// The cold client: no agent, so every request opens its own connection and closes it after
// the answer; its latency from the intended send time includes the connect and the accept.
const fixedBody = config.body === undefined ? undefined : Buffer.from(config.body);
const bodyList = config.bodies?.values.map((v) => Buffer.from(v));
const extraHeaders = config.headers ?? {};

const random = seededRandom(config.bodies?.seed ?? 1);
let sentCount = 0;

/** The body of the next request sent (in send order). */
function nextBody(): Buffer | undefined {
  const k = sentCount;
  sentCount += 1;
  if (!bodyList || bodyList.length === 0) return fixedBody;
  const index = config.bodies?.pick === 'sample' ? Math.floor(random() * bodyList.length) : k % bodyList.length;
  return bodyList[index];
}

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

/** The intended send time after `previous`: the next instant, or one interval of the current rate on. */
function following(previous: number): number {
  if (instants) {
    instantIndex += 1;
    const offset = instants[instantIndex];
    return offset === undefined ? Number.POSITIVE_INFINITY : startMs + offset;
  }
  return previous + 1000 / rateAt(previous - startMs);
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

function send(intendedMs: number, sentMs: number): void {
  inFlight += 1;
  let finished = false;
  const body = nextBody();
  const headers: Record<string, string> = { ...extraHeaders, 'x-request-start': String(Math.round(sentMs)) };
  if (cold) headers.connection = 'close';
  if (body) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
  }
  const finish = (outcome: number): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timeout);
    record(intendedMs, outcome, sentMs - intendedMs);
    inFlight -= 1;
    maybeDone();
  };
  const req = http.request(url, { agent: cold ? false : agent, method: config.method, headers }, (res) => {
    const status = res.statusCode ?? 0;
    res.on('end', () => finish(status >= 200 && status < 400 ? OUTCOME_OK : OUTCOME_ERROR));
    res.on('error', () => finish(OUTCOME_ERROR));
    res.resume();
  });
  // Timers run on libuv's millisecond loop clock, cached when the iteration began: one can fire
  // up to a millisecond or so before its delay has really passed. A timeout re-arms for what is
  // left, so every timeout is at least `timeoutMs` after the send ("≥ the timeout" holds).
  const arm = (delayMs: number): NodeJS.Timeout =>
    setTimeout(() => {
      const leftMs = sentMs + config.timeoutMs - nowEpochMs();
      if (leftMs > 0) {
        timeout = arm(leftMs);
        return;
      }
      finish(OUTCOME_TIMEOUT);
      req.destroy();
    }, Math.ceil(delayMs));
  let timeout = arm(config.timeoutMs);
  req.on('error', () => finish(OUTCOME_ERROR));
  req.end(body);
}

function tick(): void {
  sendTimer = undefined;
  if (stopped) return;
  let now = nowEpochMs();
  // Catch up on every send that is due: after a hiccup of this thread the late requests
  // still go out, each charged from its own intended time.
  while (nextMs <= now && nextMs < endMs) {
    send(nextMs, now);
    nextMs = following(nextMs);
    now = nowEpochMs();
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
  agent.destroy();
  post({ type: 'done' });
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
  if (!warmup || warmup.sockets <= 0 || cold) return 0;
  const target = new URL(warmup.path, url);
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = http.request(target, { agent, method: 'GET', timeout: WARMUP_TIMEOUT_MS }, (res) => {
        res.on('end', resolve);
        res.on('error', () => resolve());
        res.resume();
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve());
      req.end();
    });
  await Promise.all(Array.from({ length: warmup.sockets }, one));
  // The free sockets are released on the next tick after each response ends.
  await new Promise((resolve) => setImmediate(resolve));
  return Object.values(agent.freeSockets).reduce((n, list) => n + (list?.length ?? 0), 0);
}

warmUp().then(
  (openSockets) => post({ type: 'ready', openSockets }),
  () => post({ type: 'ready', openSockets: 0 }),
);
