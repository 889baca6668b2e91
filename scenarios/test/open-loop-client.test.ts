// The open-loop sender's own HTTP/1.1 client (open-loop-client.ts, http1-response.ts) against
// what a server may legally do: responses split anywhere or written in one piece, chunked bodies
// with extensions and trailers, bodies ended by the close, interim 1xx, HEAD, Connection: close,
// keep-alive sockets closed by the server, answers cut short, no answer at all. The servers are
// real TCP servers on port 0 written here, byte for byte, and count their own connections.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import { OpenLoopClient } from '../src/load/open-loop-client.js';
import { type OpenLoopRecord, OpenLoopStream, constantRate } from '../src/load/open-loop.js';
import { ResponseProtocolError, ResponseReader } from '../src/load/http1-response.js';
import { OUTCOME_ERROR, OUTCOME_OK, OUTCOME_TIMEOUT } from '../src/load/open-loop-protocol.js';

const now = (): number => performance.timeOrigin + performance.now();
const GET = 'GET / HTTP/1.1\r\nHost: x\r\nX-Request-Start: 1\r\n\r\n';
const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}';
const CHUNKED =
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
  '5;name=value\r\nhello\r\n' +
  'A\r\n0123456789\r\n' +
  '0\r\nX-Trailer: yes\r\n\r\n';

interface Scripted {
  port: number;
  connections: number;
  requests: number;
  close(): Promise<void>;
}

/**
 * A TCP server that answers each request (bytes up to a blank line) by calling `answer` with
 * the socket and the request's index over the whole server.
 */
async function scripted(answer: (socket: net.Socket, index: number) => void): Promise<Scripted> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0, requests: 0 };
  const server = net.createServer((socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      for (let end = text.indexOf('\r\n\r\n'); end >= 0; end = text.indexOf('\r\n\r\n')) {
        text = text.slice(end + 4);
        const index = state.requests;
        state.requests += 1;
        answer(socket, index);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get connections() {
      return state.connections;
    },
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes `text` one byte per event-loop turn. */
async function dribble(socket: net.Socket, text: string): Promise<void> {
  for (const byte of Buffer.from(text, 'latin1')) {
    socket.write(Buffer.from([byte]));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function client(port: number, timeoutMs = 2000, connection: 'keep-alive' | 'new' = 'keep-alive'): OpenLoopClient {
  return new OpenLoopClient({ host: '127.0.0.1', port, timeoutMs, connection, now });
}

/** Sends `count` requests one after another; resolves with each outcome and its time from the send (ms). */
async function sequential(c: OpenLoopClient, count: number, request = GET): Promise<{ outcome: number; ms: number }[]> {
  const out: { outcome: number; ms: number }[] = [];
  for (let i = 0; i < count; i += 1) {
    const sentMs = now();
    const outcome = await new Promise<number>((resolve) => c.send(request, request.startsWith('HEAD'), sentMs, resolve));
    out.push({ outcome, ms: now() - sentMs });
  }
  return out;
}

test('a response written one byte at a time, and one written whole, both end where they end; the connection is reused', {
  timeout: 15_000,
}, async () => {
  const server = await scripted((socket, i) => {
    if (i % 2 === 0) void dribble(socket, i === 0 ? CHUNKED : OK);
    else socket.write(i === 1 ? CHUNKED : OK);
  });
  const c = client(server.port);
  const results = await sequential(c, 6);
  c.close();
  await server.close();
  assert.deepEqual(
    results.map((r) => r.outcome),
    Array(6).fill(OUTCOME_OK),
  );
  assert.equal(server.connections, 1, 'every request went over the one keep-alive connection');
});

test('the reader finds the end of a chunked response split at every byte boundary, and of two responses in turn', () => {
  const bytes = Buffer.from(CHUNKED + OK, 'latin1');
  const splitOfFirst = Buffer.byteLength(CHUNKED);
  for (let cut = 1; cut < bytes.length; cut += 1) {
    const ends: number[] = [];
    const reader = new ResponseReader((end) => {
      ends.push(end.status);
      if (ends.length === 1) reader.expect(false);
    });
    reader.expect(false);
    // The second request is written as soon as the first response ends, so one chunk may hold both.
    reader.feed(bytes.subarray(0, cut));
    reader.feed(bytes.subarray(cut));
    assert.deepEqual(ends, [200, 200], `cut at ${cut} of ${bytes.length} (the first response is ${splitOfFirst} bytes)`);
    assert.equal(reader.busy, false);
  }
});

test('bytes beyond the response to the one request written are a protocol error (this sender never pipelines)', () => {
  const reader = new ResponseReader(() => {});
  reader.expect(false);
  assert.throws(() => reader.feed(Buffer.from(OK + OK)), ResponseProtocolError);
  const malformed = new ResponseReader(() => {});
  malformed.expect(false);
  assert.throws(() => malformed.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n')), /Content-Length "ten"/);
  const badChunk = new ResponseReader(() => {});
  badChunk.expect(false);
  assert.throws(
    () => badChunk.feed(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n')),
    /longer than its size/,
  );
});

test('interim 1xx, 204, HEAD with a Content-Length and a zero-length body need no body bytes; 500 is an error outcome', {
  timeout: 15_000,
}, async () => {
  const answers = [
    'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}',
    'HTTP/1.1 204 No Content\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n', // to HEAD
    'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
    'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}',
    OK,
  ];
  const server = await scripted((socket, i) => socket.write(answers[i] as string));
  const c = client(server.port);
  const results = [
    ...(await sequential(c, 2)),
    ...(await sequential(c, 1, 'HEAD / HTTP/1.1\r\nHost: x\r\nX-Request-Start: 1\r\n\r\n')),
    ...(await sequential(c, 3)),
  ];
  c.close();
  await server.close();
  assert.deepEqual(
    results.map((r) => r.outcome),
    [OUTCOME_OK, OUTCOME_OK, OUTCOME_OK, OUTCOME_OK, OUTCOME_ERROR, OUTCOME_OK],
  );
  assert.equal(server.connections, 1, 'none of them cost the connection');
  for (const r of results) assert.ok(r.ms < 1000, `answered in ${r.ms} ms, not at the 2 s timeout`);
});

test('a body ended by the close is ok; Connection: close and HTTP/1.0 retire the connection; a keep-alive socket the server closes is not reused', {
  timeout: 15_000,
}, async () => {
  const server = await scripted((socket, i) => {
    if (i === 0) socket.end('HTTP/1.1 200 OK\r\n\r\nbody until the close');
    else if (i === 1) socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}');
    else if (i === 2) socket.write('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}');
    // The server's keep-alive timeout: it answers, then closes the idle socket a moment later.
    else if (i === 3) {
      socket.write(OK);
      setTimeout(() => socket.end(), 50);
    } else socket.write(OK);
  });
  const c = client(server.port);
  const first = await sequential(c, 4);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const afterClose = await sequential(c, 2);
  c.close();
  await server.close();
  assert.deepEqual(
    [...first, ...afterClose].map((r) => r.outcome),
    Array(6).fill(OUTCOME_OK),
  );
  // 4 connections for requests 0-3 (each retired), one for 4 and 5 (the closed idle one skipped).
  assert.equal(server.connections, 5);
});

test('an answer cut short is an error; no answer is a timeout at the deadline, and its connection is closed', {
  timeout: 15_000,
}, async () => {
  let closedByClient = 0;
  const server = await scripted((socket, i) => {
    socket.on('close', () => {
      closedByClient += 1;
    });
    if (i === 0) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}');
    // i === 1: never answered.
  });
  const c = client(server.port, 300);
  const [cut, silent] = await sequential(c, 2);
  await new Promise((resolve) => setTimeout(resolve, 100));
  c.close();
  await server.close();
  assert.equal(cut?.outcome, OUTCOME_ERROR);
  assert.equal(silent?.outcome, OUTCOME_TIMEOUT);
  assert.ok((silent?.ms ?? 0) >= 300 && (silent?.ms ?? 0) < 1000, `timed out after ${silent?.ms} ms for a 300 ms deadline`);
  assert.equal(closedByClient, 2, 'the cut connection and the timed-out one are both closed');
});

test('more requests in flight than idle connections open new ones at once; idle ones are reused in FIFO order; the cold client opens one per request', {
  timeout: 15_000,
}, async () => {
  const held: net.Socket[] = [];
  const used: number[] = [];
  const server = await scripted((socket) => {
    if (!held.includes(socket)) held.push(socket);
    used.push(held.indexOf(socket));
    if (used.length === 5) for (const s of held) s.write(OK);
    else if (used.length > 5) socket.write(OK);
  });
  const c = client(server.port);
  const sentMs = now();
  const outcomes = await Promise.all(
    Array.from({ length: 5 }, () => new Promise<number>((resolve) => c.send(GET, false, sentMs, resolve))),
  );
  assert.deepEqual(outcomes, Array(5).fill(OUTCOME_OK));
  assert.equal(server.connections, 5, 'five requests in flight at once: five connections');
  assert.equal(c.idleCount(), 5);
  // FIFO: requests one at a time take the connection idle longest, so all five stay in use.
  await sequential(c, 10);
  assert.deepEqual(used.slice(5), [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
  c.close();
  await server.close();

  const coldServer = await scripted((socket) => socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}'));
  const cold = client(coldServer.port, 2000, 'new');
  const coldResults = await sequential(cold, 3, GET.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
  assert.deepEqual(
    coldResults.map((r) => r.outcome),
    Array(3).fill(OUTCOME_OK),
  );
  assert.equal(coldServer.connections, 3);
  assert.equal(cold.idleCount(), 0);
  cold.close();
  await coldServer.close();
});

test('a refused connection is an error outcome, not a hang', { timeout: 15_000 }, async () => {
  const server = await scripted(() => {});
  const port = server.port;
  await server.close();
  const c = client(port, 2000);
  const [refused] = await sequential(c, 1);
  c.close();
  assert.equal(refused?.outcome, OUTCOME_ERROR);
  assert.ok((refused?.ms ?? 0) < 1000);
});

test('a Node server that closes each keep-alive socket 30 ms after its answer: every request of a stream still gets its answer', {
  timeout: 15_000,
}, async () => {
  let connections = 0;
  let requests = 0;
  // As a keep-alive timeout does (Node's own adds a 1 s buffer to keepAliveTimeout, too long here).
  const server = http.createServer((req, res) => {
    requests += 1;
    res.end('{}', () => setTimeout(() => req.socket.end(), 30));
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const records: OpenLoopRecord[] = [];
  const stream = new OpenLoopStream({
    url: `http://127.0.0.1:${port}/`,
    method: 'GET',
    timeoutMs: 2000,
    durationMs: 1000,
    segments: constantRate(10),
    warmup: { path: '/', sockets: 3 },
    onRecords: (r) => records.push(...r),
  });
  await stream.ready();
  // The warm sockets are closed by the server before the schedule needs them.
  await new Promise((resolve) => setTimeout(resolve, 300));
  stream.start(Date.now());
  await stream.done();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.equal(records.length, 10);
  assert.deepEqual(
    records.map((r) => r.outcome),
    Array(10).fill('ok'),
  );
  assert.equal(requests, 13, '3 warm-up requests and the 10 of the schedule, each sent once');
  // 100 ms apart, each socket was closed by the server before the next request: a new connection each.
  assert.equal(connections, 13);
});
