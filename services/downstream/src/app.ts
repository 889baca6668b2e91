// The downstream service as a Fastify plugin: GET /api/work waits for a concurrency slot, then
// answers after a log-normal latency. Set at run time through /admin/config (the api's
// queue-amplification fault does that). A request carrying X-Deadline-Ms (deadline
// propagation) is dropped when it expires while waiting, and stops when its caller hangs up;
// one without it is served in full even if nobody is listening any more.
import { METRIC_LAB_DOWNSTREAM_DROPPED_TOTAL, METRIC_LAB_DOWNSTREAM_INFLIGHT, METRIC_LAB_DOWNSTREAM_WAITING } from '@runtime-lab/metric-names';
import { setTimeout as sleep } from 'node:timers/promises';
import telemetry, { type TelemetryOptions } from '@runtime-lab/telemetry';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge } from 'prom-client';
import { adminAccessProblem, DEADLINE_HEADER, parseDeadlineMs } from '@runtime-lab/service-kit';
import { sampleLatencyMs } from './latency.js';
import { Limiter } from './limiter.js';

export interface DownstreamSettings {
  /** Median latency of /api/work. */
  latencyMs: number;
  /** Log-normal shape; 0 = every request takes exactly latencyMs. */
  latencySigma: number;
  /** Requests served at once; the rest wait. */
  concurrency: number;
}

export const DOWNSTREAM_DEFAULTS: Readonly<DownstreamSettings> = { latencyMs: 20, latencySigma: 0.25, concurrency: 16 };

const LIMITS: Record<keyof DownstreamSettings, { min: number; max: number; integer: boolean }> = {
  latencyMs: { min: 0, max: 60_000, integer: true },
  latencySigma: { min: 0, max: 2, integer: false },
  concurrency: { min: 1, max: 1024, integer: true },
};

/** Waiting requests beyond this are refused with 503: the process must not die of a backlog. */
export const MAX_WAITING = 10_000;

export interface DownstreamOptions {
  telemetry?: TelemetryOptions;
  adminToken?: string | undefined;
  /** Start-up settings (default DOWNSTREAM_DEFAULTS); DELETE /admin/config returns to these. */
  settings?: Partial<DownstreamSettings>;
}

export interface DownstreamControl {
  settings: DownstreamSettings;
  limiter: Limiter;
}

declare module 'fastify' {
  interface FastifyInstance {
    downstream: DownstreamControl;
  }
}

interface Problem {
  error: string;
  message: string;
}

/** Validates a settings body on top of `base`; returns the problem or the new settings. */
export function parseSettings(input: unknown, base: DownstreamSettings): DownstreamSettings | Problem {
  const allowed = Object.keys(LIMITS);
  const body = input ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    return { error: 'LAB_INVALID_BODY', message: `body must be a JSON object with any of ${allowed.join(', ')}` };
  }
  const next = { ...base };
  for (const [key, value] of Object.entries(body)) {
    const limit = Object.hasOwn(LIMITS, key) ? LIMITS[key as keyof DownstreamSettings] : undefined;
    if (!limit) return { error: 'LAB_INVALID_PARAMS', message: `${JSON.stringify(key)} is not a setting; allowed: ${allowed.join(', ')}` };
    const ok = typeof value === 'number' && Number.isFinite(value) && (!limit.integer || Number.isInteger(value));
    if (!ok || value < limit.min || value > limit.max) {
      const kind = limit.integer ? 'an integer' : 'a number';
      return { error: 'LAB_INVALID_PARAMS', message: `${key}: expected ${kind} from ${limit.min} to ${limit.max}, got ${JSON.stringify(value)}` };
    }
    next[key as keyof DownstreamSettings] = value;
  }
  return next;
}

function isProblem(value: DownstreamSettings | Problem): value is Problem {
  return 'error' in value;
}

async function downstream(app: FastifyInstance, options: DownstreamOptions): Promise<void> {
  await app.register(telemetry, options.telemetry ?? {});
  const { registry } = app.telemetry;
  const initial = parseSettings(options.settings ?? {}, { ...DOWNSTREAM_DEFAULTS });
  if (isProblem(initial)) throw new Error(`downstream settings: ${initial.message}`);
  const control: DownstreamControl = { settings: initial, limiter: new Limiter(initial.concurrency) };
  app.decorate('downstream', control);
  const apply = (settings: DownstreamSettings) => {
    control.settings = settings;
    control.limiter.concurrency = settings.concurrency;
  };

  new Gauge({
    name: METRIC_LAB_DOWNSTREAM_INFLIGHT,
    help: 'Requests being served by downstream',
    registers: [registry],
    collect() {
      this.set(control.limiter.inflight);
    },
  });
  new Gauge({
    name: METRIC_LAB_DOWNSTREAM_WAITING,
    help: 'Requests waiting for a downstream concurrency slot',
    registers: [registry],
    collect() {
      this.set(control.limiter.waiting);
    },
  });
  const dropped = new Counter({
    name: METRIC_LAB_DOWNSTREAM_DROPPED_TOTAL,
    help: 'Requests downstream dropped because their deadline passed or their caller hung up (deadline propagation)',
    labelNames: ['reason'],
    registers: [registry],
  });
  for (const reason of ['deadline', 'disconnected']) dropped.inc({ reason }, 0);

  app.get('/api/work', async (request, reply) => {
    const raw = request.headers[DEADLINE_HEADER];
    let signal: AbortSignal | undefined;
    if (raw !== undefined) {
      const budgetMs = parseDeadlineMs(raw);
      if (typeof budgetMs !== 'number') return reply.status(400).send({ error: 'LAB_INVALID_DEADLINE', message: budgetMs.problem });
      signal = deadlineSignal(budgetMs, reply);
    }
    if (control.limiter.waiting >= MAX_WAITING) {
      reply.header('retry-after', '1');
      return reply.status(503).send({ error: 'LAB_OVERLOADED', message: `downstream has ${MAX_WAITING} requests waiting; retry later` });
    }
    const arrived = performance.now();
    let release: (() => void) | undefined;
    try {
      release = await control.limiter.acquire(signal);
      const waitedMs = performance.now() - arrived;
      const latencyMs = sampleLatencyMs(control.settings.latencyMs, control.settings.latencySigma);
      await sleep(latencyMs, undefined, { signal });
      return { ok: true, latencyMs: Math.round(latencyMs), waitedMs: Math.round(waitedMs) };
    } catch (error) {
      if (!signal?.aborted) {
        // The only other way out of the wait: preClose turned waiters away.
        reply.header('retry-after', '1');
        return reply.status(503).send({ error: 'LAB_SHUTTING_DOWN', message: (error as Error).message });
      }
      const reason = signal.reason === 'disconnected' ? 'disconnected' : 'deadline';
      dropped.inc({ reason });
      return reply.status(504).send({ error: 'LAB_DEADLINE_EXCEEDED', message: `dropped: ${reason}` });
    } finally {
      release?.();
    }
  });

  app.get('/health', async () => ({ status: 'ok', settings: control.settings }));

  await app.register(async (admin) => {
    admin.addHook('onRequest', async (request, reply) => {
      const problem = adminAccessProblem(request, options.adminToken);
      if (problem) return reply.status(problem.statusCode).send({ error: problem.code, message: problem.message });
    });
    admin.get('/admin/config', async () => ({ settings: control.settings, defaults: initial }));
    admin.put('/admin/config', async (request, reply) => {
      const next = parseSettings(request.body, initial);
      if (isProblem(next)) return reply.status(400).send(next);
      apply(next);
      return { settings: control.settings };
    });
    admin.delete('/admin/config', async () => {
      apply({ ...initial });
      return { settings: control.settings };
    });
  });

  app.addHook('preClose', async () => {
    control.limiter.rejectWaiting(new Error('downstream is shutting down'));
  });
}

/** Aborts with reason 'deadline' when the budget runs out, 'disconnected' when the caller hangs up. */
function deadlineSignal(budgetMs: number, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort('deadline'), budgetMs);
  timer.unref();
  reply.raw.on('close', () => {
    clearTimeout(timer);
    if (!reply.raw.writableFinished) controller.abort('disconnected');
  });
  return controller.signal;
}

export default fp(downstream, { name: 'runtime-lab-downstream', fastify: '5.x' });
