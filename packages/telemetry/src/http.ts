// HTTP signals: in-flight requests (with the arrival rate, Little's law gives time in system),
// a per-route latency histogram, and queue time from X-Request-Start.
//
// The latency histogram is timed onRequest -> response finished on purpose: it is the classic
// server-side view, and it misses the time a request waited for a blocked loop before Fastify
// saw it (a request that took 900 ms for the client can be recorded as 0.6 ms). Queue time
// shows that missing part when the client stamps its send time.
//
// This runs on every request, and on a trivial route Fastify itself costs only ~15-20 us of CPU,
// so the hot path is built around what is cheap (figures: docs/measurement.md, Overhead):
// - No onResponse hook: its presence makes Fastify attach (and remove) 'finish' and 'error'
//   listeners on every response and run a hook runner. The end comes from Node's diagnostics
//   channel 'http.server.response.finish' (published only when subscribed, no listener per
//   response); in-flight from 'http.server.request.start'.
// - No `request.routeOptions` per request: in Fastify 5 that getter builds a 13-field object on
//   every call. An onRoute hook gives each route registered after the plugin its own onRequest
//   hook, first among the route's hooks, with the route's label closed over. What that hook
//   does not reach -- the not-found handler (__unmatched__), a request answered earlier by an
//   app-wide hook (auth, rate limit), routes registered before the plugin -- is labelled at the
//   end from routeOptions, through the Fastify request that the plugin's app-wide onRequest hook
//   keeps on the raw request.
// In-flight is counted from 'http.server.request.start', so requests that never reach the HTTP
// server (fastify.inject()) are neither counted nor left in flight: inject() is not measured.
// Series are cached per (route, method, status class) and observed with fast-histogram.ts.
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
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
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

const kOpenOnSocket = Symbol('runtime-lab.telemetry.openRequests');
type CountedSocket = Socket & { [kOpenOnSocket]?: number };
const kRoute = Symbol('runtime-lab.telemetry.route');
const kRequest = Symbol('runtime-lab.telemetry.request');
const kStartMs = Symbol('runtime-lab.telemetry.startMs');
const kQueueSeconds = Symbol('runtime-lab.telemetry.queueSeconds');
type StampedRequest = IncomingMessage & {
  [kStartMs]?: number;
  /** Stamped by the route's own hook: the fast path. */
  [kRoute]?: RouteSeries;
  /** Stamped by the app-wide hook (with the start): Fastify routed the request; its route when kRoute is missing. */
  [kRequest]?: FastifyRequest;
  /** Queue time read at onRequest, until the route is known. */
  [kQueueSeconds]?: number;
};

/** What Node publishes on 'http.server.request.start' and 'http.server.response.finish'. */
interface ServerMessage {
  request: StampedRequest;
  response: ServerResponse;
  socket: CountedSocket;
  server: Server;
}

/** One route label and its series: duration per method and status class (index 1..5), queue time. */
interface RouteSeries {
  route: string;
  byMethod: Map<string, Array<HistogramSeries | undefined>>;
  /** The last method's entry of byMethod: most routes answer one method. */
  lastMethod: string | undefined;
  lastByClass: Array<HistogramSeries | undefined>;
  queue: HistogramSeries | undefined;
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
  // One entry per route label, made when the route is registered (series only at first use, so
  // the exposition lists what was requested). Bounded by the app's routes.
  const routes = new Map<string, RouteSeries>();
  const routeSeries = (route: string): RouteSeries => {
    let entry = routes.get(route);
    if (!entry) {
      entry = { route, byMethod: new Map(), lastMethod: undefined, lastByClass: [], queue: undefined };
      routes.set(route, entry);
    }
    return entry;
  };
  const seriesFor = (entry: RouteSeries, method: string, statusCode: number): HistogramSeries => {
    let byClass = entry.lastByClass;
    if (entry.lastMethod !== method) {
      byClass = entry.byMethod.get(method) ?? [];
      entry.byMethod.set(method, byClass);
      entry.lastMethod = method;
      entry.lastByClass = byClass;
    }
    const statusClass = Math.floor(statusCode / 100);
    let series = byClass[statusClass];
    if (!series) {
      series = duration.series({ method, route: entry.route, status_class: `${statusClass}xx` });
      byClass[statusClass] = series;
    }
    return series;
  };
  // Only for requests that carry X-Request-Start: once the route is known, then forgotten.
  const observeQueueTime = (raw: StampedRequest, seconds: number, entry: RouteSeries): void => {
    raw[kQueueSeconds] = undefined;
    entry.queue ??= queueTime.series({ route: entry.route });
    entry.queue.observe(seconds);
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
    // Not routed by Fastify (it answered without running onRequest, e.g. a malformed URL): not measured.
    const routed = request[kRequest];
    if (routed === undefined) return;
    // The slow path when the route's own hook did not run (see the top of this file).
    const entry = request[kRoute] ?? routeSeries(routed.routeOptions.url ?? UNMATCHED_ROUTE);
    const queueSeconds = request[kQueueSeconds];
    if (queueSeconds !== undefined) observeQueueTime(request, queueSeconds, entry);
    const startMs = request[kStartMs] ?? performance.now();
    seriesFor(entry, request.method ?? 'UNKNOWN', response.statusCode).observe((performance.now() - startMs) / 1000);
  };
  subscribe('http.server.request.start', onRequestStart);
  subscribe('http.server.response.finish', onResponseFinish);

  // App-wide, for every request Fastify routes (the not-found handler included).
  app.addHook('onRequest', (request, _reply, done) => {
    const raw = request.raw as StampedRequest;
    raw[kStartMs] = performance.now();
    raw[kRequest] = request;
    const header = raw.headers['x-request-start'];
    if (header !== undefined) {
      const sentAtMs = parseRequestStart(header);
      if (sentAtMs !== undefined) raw[kQueueSeconds] = Math.max(0, Date.now() - sentAtMs) / 1000;
    }
    done();
  });
  // Per route: the label without routeOptions. A new array, first in line: the route's own hooks
  // may be shared with the HEAD route Fastify derives from a GET (which gets its own call here).
  app.addHook('onRoute', (routeOptions: RouteOptions) => {
    const entry = routeSeries(routeOptions.url);
    const stampRoute = (request: FastifyRequest, _reply: unknown, done: () => void): void => {
      const raw = request.raw as StampedRequest;
      raw[kRoute] = entry;
      const queueSeconds = raw[kQueueSeconds];
      if (queueSeconds !== undefined) observeQueueTime(raw, queueSeconds, entry);
      done();
    };
    const own = routeOptions.onRequest;
    routeOptions.onRequest = own === undefined ? [stampRoute] : [stampRoute, ...(Array.isArray(own) ? own : [own])];
  });

  return () => {
    unsubscribe('http.server.request.start', onRequestStart);
    unsubscribe('http.server.response.finish', onResponseFinish);
  };
}
