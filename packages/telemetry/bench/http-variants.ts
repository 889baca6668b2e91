// Why the HTTP metrics use one onRequest hook plus Node's HTTP diagnostics channels (http.ts):
// CPU per request of a trivial Fastify route under ways of timing it whose bodies only do
// what any timing needs (count in-flight, read a clock, stamp the raw request). Each variant
// runs in a fresh process pinned to one CPU (when taskset exists), warmed up, then loaded by
// autocannon with 10 connections; figures are medians over rounds, the order alternating.
//   none     no instrumentation
//   hooks2   onRequest + onResponse hooks (reply.elapsedTime), the previous design
//   onresp   an onResponse hook only
//   dc       no hook: http.server.request.start / response.finish channels, route from the
//            tracing:fastify.request.handler:start channel (misses requests failing before the handler)
//   onreqdc  onRequest hook stamping route + start, the channels for in-flight and the end (kept)
// Usage: node packages/telemetry/dist/bench/http-variants.js [rounds=6] [seconds=3] [variants...]
import { spawn } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { cpuMs, fmt, lastCpuIfPinnable, median } from './lib.js';

const VARIANTS = ['none', 'hooks2', 'onresp', 'dc', 'onreqdc'] as const;
type Variant = (typeof VARIANTS)[number];
const kStart = Symbol('start');
const kRoute = Symbol('route');
type Stamped = IncomingMessage & { [kStart]?: number; [kRoute]?: string };
interface ServerMessage {
  request: Stamped;
  server: Server;
}

async function serve(variant: Variant): Promise<void> {
  const app = Fastify();
  let inflight = 0;
  let total = 0;
  const server = app.server;
  const channels = (): void => {
    subscribe('http.server.request.start', (m) => {
      const { request, server: from } = m as ServerMessage;
      if (from !== server) return;
      inflight += 1;
      request[kStart] ??= performance.now();
    });
    subscribe('http.server.response.finish', (m) => {
      const { request, server: from } = m as ServerMessage;
      if (from !== server) return;
      inflight -= 1;
      total += performance.now() - (request[kStart] ?? 0) + (request[kRoute] ? 0 : 1);
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
    channels();
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
    channels();
  }
  app.get('/ping', async () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
  // The counters are read so that no variant's work can be optimised away.
  process.on('SIGTERM', () => process.exit(inflight + total > -1 ? 0 : 1));
}

async function round(variant: Variant, seconds: number, cpu: number | undefined): Promise<{ rps: number; cpuUs: number }> {
  const script = new URL(import.meta.url).pathname;
  const [command, args] = cpu === undefined ? [process.execPath, [script]] : ['taskset', ['-c', String(cpu), process.execPath, script]];
  const child = spawn(command, args, { env: { ...process.env, HTTP_VARIANT: variant }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      if (!child.stdout) return reject(new Error('variant app has no stdout'));
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`variant ${variant} exited with code ${code} before listening`)));
    });
    const url = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}/ping`;
    await autocannon({ url, connections: 10, duration: 1 });
    const before = cpuMs(child.pid ?? 0);
    const result = await autocannon({ url, connections: 10, duration: seconds });
    if (result.errors || result.non2xx || result.timeouts) throw new Error(`${variant}: failed requests`);
    return { rps: result.requests.average, cpuUs: ((cpuMs(child.pid ?? 0) - before) * 1000) / Math.max(1, result.requests.total) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const own = process.env.HTTP_VARIANT;
if (own) {
  if (!(VARIANTS as readonly string[]).includes(own)) throw new Error(`HTTP_VARIANT ${own}: allowed ${VARIANTS.join(', ')}`);
  await serve(own as Variant);
} else {
  const rounds = Number(process.argv[2] ?? 6);
  const seconds = Number(process.argv[3] ?? 3);
  const chosen = process.argv.length > 4 ? process.argv.slice(4) : [...VARIANTS];
  for (const v of chosen)
    if (!(VARIANTS as readonly string[]).includes(v)) throw new Error(`unknown variant ${v}: allowed ${VARIANTS.join(', ')}`);
  const cpu = lastCpuIfPinnable();
  const results = new Map<string, Array<{ rps: number; cpuUs: number }>>(chosen.map((v) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    for (const v of r % 2 ? [...chosen].reverse() : chosen) results.get(v)?.push(await round(v as Variant, seconds, cpu));
  }
  console.log(
    `HTTP timing variants: ${rounds} rounds of ${seconds} s, autocannon 10 connections, GET /ping, pinned to CPU ${cpu ?? 'none'}`,
  );
  const base = median(results.get('none')?.map((x) => x.cpuUs) ?? []);
  for (const [v, rs] of results) {
    const us = median(rs.map((x) => x.cpuUs));
    console.log(
      `  ${v.padEnd(8)} ${fmt(median(rs.map((x) => x.rps)))} req/s, CPU ${fmt(us, 2)} us/req` +
        (Number.isFinite(base) ? ` (${us - base >= 0 ? '+' : ''}${fmt(us - base, 2)} vs none)` : '') +
        ` [${rs.map((x) => fmt(x.cpuUs, 1)).join(', ')}]`,
    );
  }
}
