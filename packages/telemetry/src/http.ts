// HTTP signals: in-flight requests (with the arrival rate, Little's law gives time in system),
// a per-route latency histogram, and queue time from X-Request-Start.
//
// The latency histogram is timed onRequest -> response finished on purpose: it is the classic
// server-side view, and it misses the time a request waited for a blocked loop before
// Fastify saw it (a request that took 900 ms for the client can be recorded as 0.6 ms).
// Queue time shows that missing part when the client stamps its send time.
//
// This runs on every request, and on a trivial route Fastify itself costs only ~16 us of CPU,
// so the hot path is built around what is cheap. An onResponse hook is not: its presence makes
// Fastify attach (and remove) 'finish' and 'error' listeners on every response and run a hook
// runner, ~1-2 us together. Instead, one onRequest hook stamps the route and start time on the
// raw request, and the end comes from Node's own diagnostics channel
// 'http.server.response.finish' (published only when subscribed, no listener per response).
// In-flight is counted from 'http.server.request.start', so requests that never reach the HTTP
// server (fastify.inject()) are neither counted nor left in flight: inject() is not measured.
// Series are cached per (method, route, status class) and observed with fast-histogram.ts.
import {
  METRIC_HTTP_QUEUE_TIME_SECONDS,
  METRIC_HTTP_REQUESTS_INFLIGHT,
  METRIC_HTTP_REQUEST_DURATION_SECONDS,
  withPrefix,
} from '@runtime-lab/metric-names';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Gauge } from 'prom-client';
import { FastHistogram, type HistogramSeries } from './fast-histogram.js';
import type { OwnedMetrics } from './owned-metrics.js';

export const HTTP_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Route label of requests that matched no route, so raw URLs never become label values. */
export const UNMATCHED_ROUTE = '__unmatched__';

/**
 * Epoch milliseconds from an X-Request-Start value: `t=<n>` or `<n>`, where n is epoch
 * seconds (nginx `t=${msec}`, may have a fraction), milliseconds (Heroku) or microseconds
 * (Apache `t=%t`), told apart by magnitude. Anything else gives undefined (not recorded).
 */
export function parseRequestStart(header: string | string[] | undefined): number | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^\s*(?:t=)?(\d+(?:\.\d+)?)\s*$/.exec(header);
  if (!match?.[1]) return undefined;
  const n = Number(match[1]);
  // Epoch seconds for the years 2001..2286 lie in [1e9, 1e10).
  if (n >= 1e9 && n < 1e10) return n * 1000;
  if (n >= 1e12 && n < 1e13) return n;
  if (n >= 1e15 && n < 1e16) return n / 1000;
  return undefined;
}

function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? UNMATCHED_ROUTE;
}

const kOpenOnSocket = Symbol('runtime-lab.telemetry.openRequests');
type CountedSocket = Socket & { [kOpenOnSocket]?: number };
const kRoute = Symbol('runtime-lab.telemetry.route');
const kStartMs = Symbol('runtime-lab.telemetry.startMs');
type StampedRequest = IncomingMessage & { [kRoute]?: string; [kStartMs]?: number };

/** What Node publishes on 'http.server.request.start' and 'http.server.response.finish'. */
interface ServerMessage {
  request: StampedRequest;
  response: ServerResponse;
  socket: CountedSocket;
  server: Server;
}

/** Starts the HTTP metrics; returns what undoes it (the channels are process-wide). */
export function registerHttp(app: FastifyInstance, owned: OwnedMetrics, prefix: string): () => void {
  // Requests the HTTP server received and has not finished answering. A request the client
  // aborts never finishes, so each socket also counts its open requests and gives them back
  // when it closes: one 'close' listener per connection, not one per request. The count is a
  // plain number, read at collect time.
  let inflight = 0;
  const onSocketClose = function (this: CountedSocket): void {
    inflight -= this[kOpenOnSocket] ?? 0;
    this[kOpenOnSocket] = 0;
  };
  owned.add(
    withPrefix(METRIC_HTTP_REQUESTS_INFLIGHT, prefix),
    new Gauge({
      name: withPrefix(METRIC_HTTP_REQUESTS_INFLIGHT, prefix),
      help: 'Requests received and not yet answered.',
      registers: [],
      collect() {
        this.set(inflight);
      },
    }),
  );
  const duration = owned.add(
    withPrefix(METRIC_HTTP_REQUEST_DURATION_SECONDS, prefix),
    new FastHistogram({
      name: withPrefix(METRIC_HTTP_REQUEST_DURATION_SECONDS, prefix),
      help: 'Server-side request duration, onRequest to response sent (misses time spent waiting for the loop).',
      labelNames: ['method', 'route', 'status_class'],
      buckets: HTTP_BUCKETS_SECONDS,
    }),
  );
  const queueTime = owned.add(
    withPrefix(METRIC_HTTP_QUEUE_TIME_SECONDS, prefix),
    new FastHistogram({
      name: withPrefix(METRIC_HTTP_QUEUE_TIME_SECONDS, prefix),
      help: 'X-Request-Start (client send time) to onRequest: time a request waited before the server saw it.',
      labelNames: ['route'],
      buckets: HTTP_BUCKETS_SECONDS,
    }),
  );
  // route -> method -> series per status class (index 1..5). Bounded by the app's routes.
  const durationSeries = new Map<string, Map<string, Array<HistogramSeries | undefined>>>();
  const seriesFor = (method: string, route: string, statusCode: number): HistogramSeries => {
    let byMethod = durationSeries.get(route);
    if (!byMethod) {
      byMethod = new Map();
      durationSeries.set(route, byMethod);
    }
    let byClass = byMethod.get(method);
    if (!byClass) {
      byClass = [];
      byMethod.set(method, byClass);
    }
    const statusClass = Math.floor(statusCode / 100);
    let series = byClass[statusClass];
    if (!series) {
      series = duration.series({ method, route, status_class: `${statusClass}xx` });
      byClass[statusClass] = series;
    }
    return series;
  };

  // Node publishes these for every HTTP server in the process: keep to this app's.
  const server = app.server;
  const onRequestStart = (message: unknown): void => {
    const { socket, server: from } = message as ServerMessage;
    if (from !== server) return;
    inflight += 1;
    const open = socket[kOpenOnSocket];
    if (open === undefined) socket.once('close', onSocketClose);
    socket[kOpenOnSocket] = (open ?? 0) + 1;
  };
  const onResponseFinish = (message: unknown): void => {
    const { request, response, socket, server: from } = message as ServerMessage;
    if (from !== server) return;
    // Skip what onSocketClose already gave back (a response finishing on a closed socket).
    const open = socket[kOpenOnSocket] ?? 0;
    if (open > 0) {
      inflight -= 1;
      socket[kOpenOnSocket] = open - 1;
    }
    const startMs = request[kStartMs];
    // No stamp: Fastify answered without running onRequest (e.g. a malformed request).
    if (startMs === undefined) return;
    seriesFor(request.method ?? 'UNKNOWN', request[kRoute] ?? UNMATCHED_ROUTE, response.statusCode).observe(
      (performance.now() - startMs) / 1000,
    );
  };
  subscribe('http.server.request.start', onRequestStart);
  subscribe('http.server.response.finish', onResponseFinish);

  app.addHook('onRequest', (request, _reply, done) => {
    const raw = request.raw as StampedRequest;
    raw[kStartMs] = performance.now();
    const route = routeOf(request);
    raw[kRoute] = route;
    const header = request.headers['x-request-start'];
    if (header !== undefined) {
      const sentAtMs = parseRequestStart(header);
      if (sentAtMs !== undefined) queueTime.series({ route }).observe(Math.max(0, Date.now() - sentAtMs) / 1000);
    }
    done();
  });

  return () => {
    unsubscribe('http.server.request.start', onRequestStart);
    unsubscribe('http.server.response.finish', onResponseFinish);
  };
}
