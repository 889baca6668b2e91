// HTTP signals: in-flight requests (with the arrival rate, Little's law gives time in system),
// a per-route latency histogram, and queue time from X-Request-Start.
//
// The latency histogram is timed onRequest -> onResponse on purpose: it is the classic
// server-side view, and it misses the time a request waited for a blocked loop before
// Fastify saw it (a request that took 900 ms for the client can be recorded as 0.6 ms).
// Queue time shows that missing part when the client stamps its send time.
//
// This runs on every request, so the hot path avoids prom-client's per-call label hashing:
// label children are cached per (method, route, status class), and in-flight is a plain
// number read at collect time.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Gauge, Histogram } from 'prom-client';
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

const kStartMs = Symbol('runtime-lab.telemetry.startMs');
type Timed = FastifyRequest & { [kStartMs]: number | undefined };

export function registerHttp(app: FastifyInstance, owned: OwnedMetrics, prefix: string): void {
  let inflight = 0;
  owned.add(
    `${prefix}http_requests_inflight`,
    new Gauge({
      name: `${prefix}http_requests_inflight`,
      help: 'Requests received and not yet answered.',
      registers: [],
      collect() {
        this.set(inflight);
      },
    }),
  );
  const duration = owned.add(
    `${prefix}http_request_duration_seconds`,
    new Histogram({
      name: `${prefix}http_request_duration_seconds`,
      help: 'Server-side request duration, onRequest to response sent (misses time spent waiting for the loop).',
      labelNames: ['method', 'route', 'status_class'],
      buckets: HTTP_BUCKETS_SECONDS,
      registers: [],
    }),
  );
  const queueTime = owned.add(
    `${prefix}http_queue_time_seconds`,
    new Histogram({
      name: `${prefix}http_queue_time_seconds`,
      help: 'X-Request-Start (client send time) to onRequest: time a request waited before the server saw it.',
      labelNames: ['route'],
      buckets: HTTP_BUCKETS_SECONDS,
      registers: [],
    }),
  );
  // Bounded: methods x route patterns x 5 status classes.
  const durationChildren = new Map<string, { observe(value: number): void }>();

  // Declared up front so every request object has the same shape (V8 hidden classes).
  app.decorateRequest(kStartMs, undefined);
  app.addHook('onRequest', (request, _reply, done) => {
    (request as Timed)[kStartMs] = performance.now();
    inflight += 1;
    const header = request.headers['x-request-start'];
    if (header !== undefined) {
      const sentAtMs = parseRequestStart(header);
      if (sentAtMs !== undefined) queueTime.observe({ route: routeOf(request) }, Math.max(0, Date.now() - sentAtMs) / 1000);
    }
    done();
  });

  // Exactly one of onResponse / onRequestAbort ends a request (an aborted request never reaches
  // onResponse); the start mark is the guard against counting one twice.
  const finish = (request: FastifyRequest): number | undefined => {
    const timed = request as Timed;
    const startMs = timed[kStartMs];
    if (startMs === undefined) return undefined;
    timed[kStartMs] = undefined;
    inflight -= 1;
    return performance.now() - startMs;
  };
  app.addHook('onResponse', (request, reply, done) => {
    const elapsedMs = finish(request);
    if (elapsedMs !== undefined) {
      const statusClass = `${Math.floor(reply.statusCode / 100)}xx`;
      const route = routeOf(request);
      const key = `${request.method} ${route} ${statusClass}`;
      let child = durationChildren.get(key);
      if (!child) {
        child = duration.labels({ method: request.method, route, status_class: statusClass });
        durationChildren.set(key, child);
      }
      child.observe(elapsedMs / 1000);
    }
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    finish(request);
    done();
  });
}
