// Experiment: why a request on a new connection waits so much longer than one on a kept-alive
// socket while the server's event loop is blocked. Starts cold-connection-server.js in its own
// process, holds its loop with one closed-loop client on /block (each request spins `blockMs`,
// the next is sent as soon as the last is answered: the flagship's load), and sends two open-loop
// streams to /ping: warm (keep-alive sockets opened beforehand) and cold (a new connection each,
// `Connection: close`). It prints, per stream, latency from the intended send time, and for the
// cold stream the parts: TCP handshake (client 'connect'), wait for the server to accept, wait
// from accept to the request being read, and how many blocks each part spanned. The listen
// socket's accept queue (ss Recv-Q) is sampled every 100 ms.
// Usage: node scenarios/dist/src/bench/cold-connection.js [seconds=10] [ratePerSecond=10] [blockMs=600]
import { execFile, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';

const seconds = Number(process.argv[2] ?? 10);
const rate = Number(process.argv[3] ?? 10);
const blockMs = Number(process.argv[4] ?? 600);
const now = (): number => performance.timeOrigin + performance.now();

// COLD_STRACE=<file>: run the server under strace (epoll waits and accepts, with times) to count
// the connections accepted per loop turn.
const serverPath = new URL('./cold-connection-server.js', import.meta.url).pathname;
const straceFile = process.env.COLD_STRACE;
const child = straceFile
  ? spawn(
      'strace',
      ['-f', '-tt', '-e', 'trace=epoll_wait,epoll_pwait,accept4', '-o', straceFile, process.execPath, serverPath, String(blockMs)],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    )
  : fork(serverPath, [String(blockMs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const [{ port }] = (await once(child, 'message')) as [{ port: number }];
const base = `http://127.0.0.1:${port}`;

interface Sent {
  id: string;
  kind: 'warm' | 'cold';
  intendedMs: number;
  connectMs?: number;
  doneMs?: number;
  failed?: string;
}
const sent: Sent[] = [];

function get(path: string, agent: http.Agent | false, id: string, onSocketConnect?: (ms: number) => void): Promise<void> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'x-id': id };
    if (agent === false) headers.connection = 'close';
    const req = http.request(`${base}${path}`, { agent, headers, timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    if (onSocketConnect) req.on('socket', (socket) => socket.once('connect', () => onSocketConnect(now())));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => {
      const s = sent.find((x) => x.id === id);
      if (s) s.failed = error.message;
      resolve();
    });
    req.end();
  });
}

// Warm sockets: opened before the load starts, 2 s worth of the rate.
const warmAgent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, scheduling: 'fifo' });
await Promise.all(Array.from({ length: Math.max(4, rate * 2) }, (_, i) => get('/ping', warmAgent, `warmup-${i}`)));

// The blocker: one closed-loop connection, the next /block as soon as the last is answered.
let stop = false;
const blockAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const blocker = (async () => {
  let n = 0;
  while (!stop) await get('/block', blockAgent, `block-${n++}`);
})();

// Accept queue of the listening socket: ss shows its current length as Recv-Q.
let acceptQueueMax = 0;
const ssTimer = setInterval(() => {
  execFile('ss', ['-ltnH', `sport = :${port}`], (error, out) => {
    if (error) return;
    const recvQ = Number(out.trim().split(/\s+/)[1]);
    if (Number.isFinite(recvQ)) acceptQueueMax = Math.max(acceptQueueMax, recvQ);
  });
}, 100);

await new Promise((r) => setTimeout(r, 300));
const startMs = now() + 50;
const pending: Promise<void>[] = [];
for (let i = 0; i < seconds * rate; i += 1) {
  const intendedMs = startMs + (i * 1000) / rate;
  await new Promise((r) => setTimeout(r, Math.max(0, intendedMs - now())));
  for (const kind of ['warm', 'cold'] as const) {
    const s: Sent = { id: `${kind}-${i}`, kind, intendedMs };
    sent.push(s);
    pending.push(
      get('/ping', kind === 'warm' ? warmAgent : false, s.id, (ms) => {
        s.connectMs = ms;
      }).then(() => {
        s.doneMs = now();
      }),
    );
  }
}
await Promise.all(pending);
stop = true;
await blocker;
clearInterval(ssTimer);
child.send('dump');
const [dump] = (await once(child, 'message')) as [
  { blocks: [number, number][]; requests: { id: string; acceptMs: number; requestMs: number; firstOnSocket: boolean }[] },
];
warmAgent.destroy();
blockAgent.destroy();

const byId = new Map(dump.requests.map((r) => [r.id, r]));
/** Blocks that ended within (from, to]: each is a loop turn the request had to wait out. */
const blocksIn = (from: number, to: number): number => dump.blocks.filter(([, end]) => end > from && end <= to).length;
const pct = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
};
const fmt = (values: number[]): string =>
  values.length === 0
    ? 'n/a'
    : `p50 ${pct(values, 0.5).toFixed(0)}  p90 ${pct(values, 0.9).toFixed(0)}  p99 ${pct(values, 0.99).toFixed(0)}  max ${Math.max(...values).toFixed(0)} ms`;
const counts = (values: number[]): string => {
  const c = new Map<number, number>();
  for (const v of values) c.set(v, (c.get(v) ?? 0) + 1);
  return [...c.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([k, n]) => `${k}:${n}`)
    .join(' ');
};

console.log(
  `blocks: ${dump.blocks.length} of ${blockMs} ms; ${seconds} s at ${rate} req/s per stream; accept queue (ss Recv-Q) max ${acceptQueueMax}`,
);
for (const kind of ['warm', 'cold'] as const) {
  const mine = sent.filter((s) => s.kind === kind && s.doneMs !== undefined && !s.failed);
  const failed = sent.filter((s) => s.kind === kind && s.failed).length;
  console.log(
    `\n${kind}: ${mine.length} answered, ${failed} failed; latency from the intended send: ${fmt(mine.map((s) => (s.doneMs as number) - s.intendedMs))}`,
  );
  const server = mine.map((s) => ({ s, r: byId.get(s.id) })).filter((x) => x.r !== undefined) as {
    s: Sent;
    r: NonNullable<ReturnType<typeof byId.get>>;
  }[];
  console.log(
    `  send → request read by the server: ${fmt(server.map(({ s, r }) => r.requestMs - s.intendedMs))}; blocks waited out: ${counts(server.map(({ s, r }) => blocksIn(s.intendedMs, r.requestMs)))}`,
  );
  if (kind === 'cold') {
    console.log(
      `  TCP handshake (client 'connect' − send): ${fmt(mine.filter((s) => s.connectMs).map((s) => (s.connectMs as number) - s.intendedMs))}`,
    );
    console.log(
      `  send → accepted ('connection' event): ${fmt(server.map(({ s, r }) => r.acceptMs - s.intendedMs))}; blocks: ${counts(server.map(({ s, r }) => blocksIn(s.intendedMs, r.acceptMs)))}`,
    );
    console.log(
      `  accepted → request read: ${fmt(server.map(({ r }) => r.requestMs - r.acceptMs))}; blocks: ${counts(server.map(({ r }) => blocksIn(r.acceptMs, r.requestMs)))}`,
    );
  }
  console.log(`  request read → answer at the client: ${fmt(server.map(({ s, r }) => (s.doneMs as number) - r.requestMs))}`);
}
