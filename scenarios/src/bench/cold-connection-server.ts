// The instrumented server of cold-connection.ts, run in its own process: an HTTP server whose
// /block route spins the CPU on the main thread, and which notes, for every other request,
// when its connection was accepted (the 'connection' event: libuv's accept callback) and when
// the request was read and parsed (the 'request' event), plus every block's start and end.
import http from 'node:http';

const blockMs = Number(process.argv[2] ?? 600);
const now = (): number => performance.timeOrigin + performance.now();
const blocks: [number, number][] = [];
const requests: { id: string; acceptMs: number; requestMs: number; firstOnSocket: boolean }[] = [];
const accepted = new WeakMap<object, { acceptMs: number; served: number }>();

const server = http.createServer((req, res) => {
  if (req.url === '/block') {
    const start = now();
    while (now() - start < blockMs) {
      // spin: the loop is held, as by a synchronous handler
    }
    blocks.push([start, now()]);
    res.end('{}');
    return;
  }
  const socket = accepted.get(req.socket) ?? { acceptMs: Number.NaN, served: 0 };
  requests.push({ id: String(req.headers['x-id'] ?? ''), acceptMs: socket.acceptMs, requestMs: now(), firstOnSocket: socket.served === 0 });
  socket.served += 1;
  res.end('{}');
});
server.on('connection', (socket) => accepted.set(socket, { acceptMs: now(), served: 0 }));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }));
process.on('message', (message) => {
  if (message === 'dump') process.send?.({ blocks, requests }, () => process.exit(0));
});
