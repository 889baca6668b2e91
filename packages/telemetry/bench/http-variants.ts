// Why the HTTP metrics are built the way http.ts builds them: CPU per request of a trivial
// Fastify route (GET /ping) under ways of timing it. Each design variant's body does only what
// any timing needs (count in-flight, read a clock, stamp the raw request); `http` is the real
// http.ts (series, histogram and all), so `http` minus `none` is the per-request cost of the
// plugin's HTTP metrics.
//   none     no instrumentation
//   hooks2   onRequest + onResponse hooks (reply.elapsedTime), the first design
//   onresp   an onResponse hook only
//   dc       no hook: http.server.request.start / response.finish channels, route from the
//            tracing:fastify.request.handler:start channel (misses requests failing before the handler)
//   onreqdc  an app-wide onRequest hook stamping start + request.routeOptions.url, the channels
//            for in-flight and the end (the second design)
//   onroute  an app-wide onRequest hook stamping start and keeping the Fastify request on the raw
//            one, a per-route onRequest hook (added by onRoute) stamping the route's label closed
//            over, the channels for in-flight and the end; routeOptions only when that hook did
//            not run (kept)
//   http     the real registerHttp() of src/http.ts
//
// Every variant runs in its own process, all alive together, pinned to the same CPU (the last one,
// when taskset exists); the client runs in this process, pinned to another CPU. Rounds alternate
// the variants' order, and each figure is the median over rounds of the per-round difference to
// `none`, so a slow minute on this shared machine moves both sides of a difference. Processes are
// restarted for each generation (JIT and placement luck differ between processes).
// CPU is the process's CPU time, all threads, in ns (/proc/<pid>/task/*/schedstat).
// Two transports:
//   socket   autocannon, 10 keep-alive connections on loopback, as fast as they go (closed loop)
//   memory   10 in-process duplex "connections" fed to the HTTP server by emit('connection'):
//            Node's real HTTP parser, server and Fastify, no kernel and no client process; far
//            less noisy, but the base cost is lower (no syscalls), so compare differences.
// Usage: node packages/telemetry/dist/bench/http-variants.js [socket|memory] [generations=2] [rounds=6] [seconds=2] [variants...]
import { spawn, spawnSync } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Duplex } from 'node:stream';
import autocannon from 'autocannon';
import Fastify, { type FastifyRequest, type RouteOptions } from 'fastify';
import { Registry } from 'prom-client';
import { registerHttp } from '../src/http.js';
import { OwnedMetrics } from '../src/owned-metrics.js';
import { fmt, lastCpuIfPinnable, median } from './lib.js';

const VARIANTS = ['none', 'hooks2', 'onresp', 'dc', 'onreqdc', 'onroute', 'http'] as const;
type Variant = (typeof VARIANTS)[number];
const TRANSPORTS = ['socket', 'memory'] as const;
type Transport = (typeof TRANSPORTS)[number];
const kStart = Symbol('start');
const kRoute = Symbol('route');
const kRequest = Symbol('request');
type Stamped = IncomingMessage & { [kStart]?: number; [kRoute]?: string; [kRequest]?: FastifyRequest };
interface ServerMessage {
  request: Stamped;
  server: Server;
}

async function serve(variant: Variant): Promise<void> {
  const app = Fastify();
  let inflight = 0;
  let total = 0;
  const server = app.server;
  const channels = (stampStart: boolean): void => {
    subscribe('http.server.request.start', (m) => {
      const { request, server: from } = m as ServerMessage;
      if (from !== server) return;
      inflight += 1;
      if (stampStart) request[kStart] = performance.now();
    });
    subscribe('http.server.response.finish', (m) => {
      const { request, server: from } = m as ServerMessage;
      if (from !== server) return;
      inflight -= 1;
      const route = request[kRoute] ?? request[kRequest]?.routeOptions.url;
      total += performance.now() - (request[kStart] ?? 0) + (route ? 0 : 1);
    });
  };
  if (variant === 'hooks2' || variant === 'onresp') {
    if (variant === 'hooks2') {
      app.addHook('onRequest', (_request, _reply, done) => {
        inflight += 1;
        done();
      });
    }
    app.addHook('onResponse', (_request, reply, done) => {
      inflight -= 1;
      total += reply.elapsedTime;
      done();
    });
  } else if (variant === 'dc') {
    channels(true);
    subscribe('tracing:fastify.request.handler:start', (m) => {
      const store = m as { request: { raw: Stamped }; route: { url: string } };
      store.request.raw[kRoute] = store.route.url;
    });
  } else if (variant === 'onreqdc') {
    app.addHook('onRequest', (request, _reply, done) => {
      const raw = request.raw as Stamped;
      raw[kStart] = performance.now();
      raw[kRoute] = request.routeOptions.url;
      done();
    });
    channels(false);
  } else if (variant === 'onroute') {
    app.addHook('onRequest', (request, _reply, done) => {
      const raw = request.raw as Stamped;
      raw[kStart] = performance.now();
      raw[kRequest] = request;
      done();
    });
    app.addHook('onRoute', (routeOptions: RouteOptions) => {
      const route = routeOptions.url;
      const own = routeOptions.onRequest;
      const stamp = (request: FastifyRequest, _reply: unknown, done: () => void): void => {
        (request.raw as Stamped)[kRoute] = route;
        done();
      };
      routeOptions.onRequest = own === undefined ? [stamp] : [stamp, ...(Array.isArray(own) ? own : [own])];
    });
    channels(false);
  } else if (variant === 'http') {
    registerHttp(app, new OwnedMetrics(new Registry()), 'runtime_');
  }
  app.get('/ping', async () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
  // "memory N": answer N requests through in-memory connections, print the CPU they took.
  createInterface({ input: process.stdin }).on('line', async (line) => {
    const n = Number(line.split(' ')[1]);
    const before = process.cpuUsage();
    await inMemory(server, n);
    const used = process.cpuUsage(before);
    process.stdout.write(`${JSON.stringify({ cpuUs: (used.user + used.system) / n })}\n`);
  });
  // The counters are read so that no variant's work can be optimised away.
  process.on('SIGTERM', () => process.exit(inflight + total > -1 ? 0 : 1));
}

const REQUEST = Buffer.from('GET /ping HTTP/1.1\r\nHost: bench\r\n\r\n');
const BODY_END = '{"ok":true}';

/** n keep-alive requests over 10 duplex streams handed to the HTTP server as connections. */
function inMemory(server: Server, n: number): Promise<void> {
  return new Promise((resolve) => {
    let toSend = n;
    let answered = 0;
    const connect = (): void => {
      const socket: Duplex = new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, callback) {
          // One response per body (the route always answers {"ok":true}); then the next request.
          const text = chunk.toString('latin1');
          for (let i = text.indexOf(BODY_END); i !== -1; i = text.indexOf(BODY_END, i + 1)) {
            answered += 1;
            if (toSend > 0) {
              toSend -= 1;
              socket.push(REQUEST);
            } else if (answered === n) resolve();
          }
          callback();
        },
      });
      // What the HTTP server reads from a net.Socket.
      Object.assign(socket, { remoteAddress: '127.0.0.1', remotePort: 1, setTimeout: () => socket, setNoDelay: () => socket });
      server.emit('connection', socket);
      toSend -= 1;
      socket.push(REQUEST);
    };
    for (let c = 0; c < 10; c++) connect();
  });
}

/** CPU time of every thread of a process, in ns (precise, unlike /proc/<pid>/stat's 10 ms ticks). */
function cpuNs(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return total;
}

interface RunningVariant {
  variant: Variant;
  pid: number;
  url: string;
  ask(line: string): Promise<string>;
  stop(): Promise<void>;
}

async function start(variant: Variant, cpu: number | undefined): Promise<RunningVariant> {
  const script = new URL(import.meta.url).pathname;
  const [command, args] = cpu === undefined ? [process.execPath, [script]] : ['taskset', ['-c', String(cpu), process.execPath, script]];
  const child = spawn(command, args, { env: { ...process.env, HTTP_VARIANT: variant }, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (!child.stdout || !child.stdin) throw new Error('variant app has no stdio');
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error(`variant ${variant} exited early`);
    return line.value;
  };
  const { port } = JSON.parse(await next()) as { port: number };
  const stdin = child.stdin;
  return {
    variant,
    pid: child.pid ?? 0,
    url: `http://127.0.0.1:${port}/ping`,
    ask: (line) => {
      stdin.write(`${line}\n`);
      return next();
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** CPU µs per request of one round. */
async function measure(app: RunningVariant, transport: Transport, seconds: number): Promise<{ cpuUs: number; rps: number }> {
  if (transport === 'memory') {
    const startedMs = performance.now();
    // ~100 000 requests per second here (no kernel, no client process): about `seconds` per round.
    const n = Math.round(100_000 * seconds);
    const { cpuUs } = JSON.parse(await app.ask(`memory ${n}`)) as { cpuUs: number };
    return { cpuUs, rps: (n * 1000) / (performance.now() - startedMs) };
  }
  const before = cpuNs(app.pid);
  const result = await autocannon({ url: app.url, connections: 10, duration: seconds });
  if (result.errors || result.non2xx || result.timeouts) throw new Error(`${app.variant}: failed requests`);
  return { cpuUs: (cpuNs(app.pid) - before) / 1000 / Math.max(1, result.requests.total), rps: result.requests.average };
}

/** CPUs for the apps and for the client, chosen before this process pinned itself (which hides the others). */
function chooseCpus(): { serverCpu: number | undefined; clientCpu: number | undefined } {
  const chosen = process.env.HTTP_VARIANTS_CPUS;
  if (chosen) {
    const [server, client] = chosen.split(',').map(Number);
    return { serverCpu: server, clientCpu: client };
  }
  const serverCpu = lastCpuIfPinnable();
  return { serverCpu, clientCpu: serverCpu !== undefined && availableParallelism() > 1 ? 0 : undefined };
}

/** Re-runs this script pinned to the client's own CPU, unless it already is; true when it did. */
function pinSelf(serverCpu: number, clientCpu: number): boolean {
  if (process.env.HTTP_VARIANTS_CPUS) return false;
  const { status } = spawnSync('taskset', ['-c', String(clientCpu), process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, HTTP_VARIANTS_CPUS: `${serverCpu},${clientCpu}` },
  });
  process.exitCode = status ?? 1;
  return true;
}

const own = process.env.HTTP_VARIANT;
if (own) {
  if (!(VARIANTS as readonly string[]).includes(own)) throw new Error(`HTTP_VARIANT ${own}: allowed ${VARIANTS.join(', ')}`);
  await serve(own as Variant);
} else {
  const transport = (process.argv[2] ?? 'socket') as Transport;
  if (!TRANSPORTS.includes(transport)) throw new Error(`transport ${transport}: allowed ${TRANSPORTS.join(', ')}`);
  const generations = Number(process.argv[3] ?? 2);
  const rounds = Number(process.argv[4] ?? 6);
  const seconds = Number(process.argv[5] ?? 2);
  const chosen = (process.argv.length > 6 ? process.argv.slice(6) : [...VARIANTS]) as Variant[];
  for (const v of chosen) if (!VARIANTS.includes(v)) throw new Error(`unknown variant ${v}: allowed ${VARIANTS.join(', ')}`);
  if (!chosen.includes('none')) chosen.unshift('none');
  const { serverCpu, clientCpu } = chooseCpus();
  if (serverCpu === undefined || clientCpu === undefined || !pinSelf(serverCpu, clientCpu)) {
    const results = new Map<Variant, Array<{ cpuUs: number; rps: number }>>(chosen.map((v) => [v, []]));
    for (let g = 0; g < generations; g++) {
      const apps: RunningVariant[] = [];
      try {
        for (const v of chosen) apps.push(await start(v, serverCpu));
        // Warm-up: JIT tiers, sockets, heap size; the first rounds after a start still run slower.
        for (let w = 0; w < 2; w++) for (const app of apps) await measure(app, transport, 2);
        for (let r = 0; r < rounds; r++) {
          for (const app of r % 2 ? [...apps].reverse() : apps) results.get(app.variant)?.push(await measure(app, transport, seconds));
        }
      } finally {
        await Promise.all(apps.map((app) => app.stop()));
      }
    }
    const base = results.get('none') ?? [];
    console.log(
      `HTTP timing variants, ${transport} transport: ${generations} generations x ${rounds} rounds of ~${seconds} s, GET /ping, ` +
        `10 connections, apps pinned to CPU ${serverCpu ?? 'none'}, client to CPU ${clientCpu ?? 'none'}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );
    for (const [v, rs] of results) {
      const us = median(rs.map((x) => x.cpuUs));
      const diff = median(rs.map((x, i) => x.cpuUs - (base[i]?.cpuUs ?? Number.NaN)));
      console.log(
        `  ${v.padEnd(8)} CPU ${fmt(us, 2)} us/req, vs none ${diff >= 0 ? '+' : ''}${fmt(diff, 2)} us (median of per-round differences), ` +
          `${fmt(median(rs.map((x) => x.rps)))} req/s [${rs.map((x) => fmt(x.cpuUs, 1)).join(', ')}]`,
      );
    }
  }
}
