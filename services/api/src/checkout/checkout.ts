// POST /api/checkout: fan out to downstream through the in-process queue, with per-attempt
// timeouts, retries with backoff, and the mitigations (load shedding, retry budget,
// deadline propagation) that keep the queue from amplifying.
import {
  METRIC_LAB_CHECKOUT_BACKLOG,
  METRIC_LAB_CHECKOUT_DOWNSTREAM_CALLS,
  METRIC_LAB_CHECKOUT_SHED_TOTAL,
  METRIC_LAB_DOWNSTREAM_CALLS_TOTAL,
  METRIC_LAB_DOWNSTREAM_RETRIES_TOTAL,
} from '@runtime-lab/metric-names';
import { setTimeout as sleep } from 'node:timers/promises';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ApiError } from '../errors.js';
import { HARD_QUEUE_CAP, type ParamsOf } from '../faults/catalogue.js';
import type { FaultState } from '../faults/state.js';
import { CallQueue, type QueuedCall } from './call-queue.js';
import { callDownstream, configureDownstream, newDownstreamAgent } from './downstream-client.js';
import { RetryBudget } from './retry-budget.js';

export type CheckoutSettings = ParamsOf<'queue-amplification'>;

/**
 * Checkout while queue-amplification is off: a few calls, a generous timeout, one retry, and a
 * dispatch concurrency matching downstream's own default limit (services/downstream).
 */
export const HEALTHY_CHECKOUT: CheckoutSettings = {
  fanOut: 3,
  downstreamLatencyMs: 20,
  downstreamConcurrency: 16,
  timeoutMs: 1000,
  retries: 1,
  backoffMs: 50,
  queueLimit: 0,
  trigger: '',
};

type Outcome = 'ok' | 'timeout' | 'error' | 'dropped';

/** Bound on one HTTP call however it was abandoned: a stuck socket cannot pin a slot forever. */
export const TRANSPORT_TIMEOUT_MS = 30_000;

export interface CheckoutResult {
  calls: number;
  attempts: number;
  failed: number;
  tookMs: number;
}

interface CheckoutMetrics {
  shed: Counter;
  calls: Counter<'outcome'>;
  retries: Counter;
  callsPerCheckout: Histogram;
}

function registerMetrics(registry: Registry, queue: CallQueue): CheckoutMetrics {
  new Gauge({
    name: METRIC_LAB_CHECKOUT_BACKLOG,
    help: "Downstream calls queued in the api's in-process queue",
    registers: [registry],
    collect() {
      this.set(queue.backlog);
    },
  });
  const calls = new Counter({
    name: METRIC_LAB_DOWNSTREAM_CALLS_TOTAL,
    help: 'Calls from the api to downstream, by outcome as the caller saw it (dropped: removed before sending by deadline propagation)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  // Every outcome exists from the start, so rate() works before the first failure.
  for (const outcome of ['ok', 'timeout', 'error', 'dropped']) calls.inc({ outcome }, 0);
  return {
    shed: new Counter({
      name: METRIC_LAB_CHECKOUT_SHED_TOTAL,
      help: 'Checkouts answered 503 + Retry-After by load shedding',
      registers: [registry],
    }),
    calls,
    retries: new Counter({ name: METRIC_LAB_DOWNSTREAM_RETRIES_TOTAL, help: 'Retries of downstream calls', registers: [registry] }),
    callsPerCheckout: new Histogram({
      name: METRIC_LAB_CHECKOUT_DOWNSTREAM_CALLS,
      help: 'Downstream calls (incl. retries) per checkout',
      buckets: [1, 2, 3, 5, 8, 10, 15, 20, 30, 50, 80, 120],
      registers: [registry],
    }),
  };
}

interface Attempt extends QueuedCall {
  settled: boolean;
  /** Aborts the HTTP request while one is in flight. */
  abort: (() => void) | undefined;
  finish(outcome: Outcome): void;
}

export interface CheckoutOptions {
  state: FaultState;
  registry: Registry;
  downstreamUrl: string;
  adminToken: string | undefined;
}

export class Checkout {
  readonly #state: FaultState;
  readonly #workUrl: URL;
  readonly #downstreamUrl: string;
  readonly #adminToken: string | undefined;
  readonly #queue = new CallQueue(HEALTHY_CHECKOUT.downstreamConcurrency, HARD_QUEUE_CAP);
  readonly #agent = newDownstreamAgent();
  readonly #budget = new RetryBudget();
  readonly #metrics: CheckoutMetrics;
  readonly #closing = new AbortController();
  readonly #pending = new Set<Attempt>();

  constructor(options: CheckoutOptions) {
    this.#state = options.state;
    this.#downstreamUrl = options.downstreamUrl;
    this.#workUrl = new URL('/api/work', options.downstreamUrl);
    this.#adminToken = options.adminToken;
    this.#metrics = registerMetrics(options.registry, this.#queue);
    options.state.onChange((change) => {
      if (change.name !== 'queue-amplification' && change.name !== 'load-shedding') return undefined;
      const settings = this.settings();
      this.#queue.concurrency = settings.downstreamConcurrency;
      this.#queue.limit = this.#queueLimit(settings);
      this.#queue.pump();
      // At shutdown downstream is left alone: it may be shared, and waiting on it would delay exit.
      // A reset re-sends downstream's defaults below, once.
      if (change.name !== 'queue-amplification' || change.reason === 'close' || change.reason === 'reset') return undefined;
      return this.#syncDownstream(change.active ? settings : undefined);
    });
    options.state.onReset(() => this.#syncDownstream(undefined));
  }

  /** Shedding bounds the queue itself too: retries of admitted checkouts must not outgrow it. */
  #queueLimit(settings: CheckoutSettings): number {
    const limit = settings.queueLimit > 0 ? settings.queueLimit : HARD_QUEUE_CAP;
    const shedding = this.#state.get('load-shedding');
    return shedding ? Math.min(limit, shedding.maxBacklog) : limit;
  }

  settings(): CheckoutSettings {
    return this.#state.get('queue-amplification') ?? HEALTHY_CHECKOUT;
  }

  get backlog(): number {
    return this.#queue.backlog;
  }

  async #syncDownstream(settings: CheckoutSettings | undefined): Promise<string | undefined> {
    try {
      await configureDownstream(
        this.#downstreamUrl,
        settings && { latencyMs: settings.downstreamLatencyMs, concurrency: settings.downstreamConcurrency },
        this.#adminToken,
      );
      return undefined;
    } catch (error) {
      const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      const consequence = settings
        ? 'the api side of queue-amplification is on; downstream keeps its previous latency and limit'
        : 'downstream keeps its current latency and limit (reset it with DELETE /admin/config on downstream)';
      return `could not configure downstream at ${this.#downstreamUrl} (${reason}); ${consequence}`;
    }
  }

  /**
   * One checkout. `cancelled` fires when the client went away (used only with deadline propagation).
   * `fires` says whether queue-amplification applies to this checkout (its input trigger): if not, it
   * makes the healthy calls, still through the shared queue and downstream.
   */
  async run(cancelled: AbortSignal, fires: (amplification: CheckoutSettings) => boolean = () => true): Promise<CheckoutResult> {
    if (this.#closing.signal.aborted) throw new ApiError('LAB_SHUTTING_DOWN', 503, 'api is shutting down', {}, 1);
    const started = performance.now();
    const amplification = this.#state.get('queue-amplification');
    const settings = amplification && fires(amplification) ? amplification : HEALTHY_CHECKOUT;
    const shedding = this.#state.get('load-shedding');
    if (shedding && this.#queue.backlog + settings.fanOut > shedding.maxBacklog) {
      this.#metrics.shed.inc();
      throw new ApiError(
        'LAB_SHED',
        503,
        `checkout shed: ${this.#queue.backlog} downstream calls already queued, limit ${shedding.maxBacklog}; retry after ${shedding.retryAfterSeconds} s`,
        { backlog: this.#queue.backlog, maxBacklog: shedding.maxBacklog },
        shedding.retryAfterSeconds,
      );
    }
    const counter = { attempts: 0 };
    const results = await Promise.all(Array.from({ length: settings.fanOut }, () => this.#callWithRetries(settings, cancelled, counter)));
    this.#metrics.callsPerCheckout.observe(counter.attempts);
    const failed = results.filter((ok) => !ok).length;
    const result = { calls: settings.fanOut, attempts: counter.attempts, failed, tookMs: Math.round(performance.now() - started) };
    if (failed > 0) {
      throw new ApiError(
        'LAB_DOWNSTREAM_FAILED',
        504,
        `${failed} of ${settings.fanOut} downstream calls failed after ${counter.attempts} attempts`,
        result,
      );
    }
    return result;
  }

  async #callWithRetries(settings: CheckoutSettings, cancelled: AbortSignal, counter: { attempts: number }): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      if (attempt === 0) this.#budget.recordFirstAttempt();
      else {
        const budget = this.#state.get('retry-budget');
        const deadlines = this.#state.isActive('deadline-propagation');
        if (attempt > settings.retries || this.#closing.signal.aborted || (deadlines && cancelled.aborted)) return false;
        if (budget && !this.#budget.tryRetry(budget.ratio, budget.minRetriesPerSecond)) return false;
        this.#metrics.retries.inc();
        const backoffMs = settings.backoffMs * 2 ** (attempt - 1);
        if (backoffMs > 0) await sleep(backoffMs, undefined, { signal: this.#closing.signal }).catch(() => undefined);
        if (this.#closing.signal.aborted) return false;
      }
      counter.attempts++;
      if ((await this.#attempt(settings, cancelled)) === 'ok') return true;
    }
  }

  #attempt(settings: CheckoutSettings, cancelled: AbortSignal): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const enqueuedAt = performance.now();
      const deadlineAt = enqueuedAt + settings.timeoutMs;
      let callerTimer: NodeJS.Timeout | undefined;
      const onCancel = () => {
        if (!this.#state.isActive('deadline-propagation')) return;
        if (this.#queue.remove(attempt)) finish('dropped');
        else attempt.abort?.();
      };
      const finish = (outcome: Outcome) => {
        if (attempt.settled) return;
        attempt.settled = true;
        clearTimeout(callerTimer);
        cancelled.removeEventListener('abort', onCancel);
        this.#pending.delete(attempt);
        this.#metrics.calls.inc({ outcome });
        resolve(outcome);
      };
      const attempt: Attempt = {
        settled: false,
        abort: undefined,
        finish,
        start: (release) => {
          const deadlines = this.#state.get('deadline-propagation');
          const remainingMs = deadlineAt - performance.now();
          if (deadlines && (attempt.settled || cancelled.aborted || remainingMs < deadlines.minRemainingMs)) {
            finish('dropped');
            release();
            return;
          }
          // Without deadline propagation an attempt whose caller gave up is still sent, and the
          // caller's timeout does not cancel it: downstream does the work for nobody while the
          // call holds its dispatch slot. Only the transport timeout bounds a stuck socket.
          const controller = new AbortController();
          const transportTimer = setTimeout(() => controller.abort(), TRANSPORT_TIMEOUT_MS);
          attempt.abort = () => controller.abort();
          callDownstream(this.#agent, this.#workUrl, {
            signal: AbortSignal.any([controller.signal, this.#closing.signal]),
            deadlineMs: deadlines ? remainingMs : undefined,
          })
            .then(
              (status) => finish(status >= 200 && status < 300 ? 'ok' : 'error'),
              () => finish(controller.signal.aborted ? 'timeout' : 'error'),
            )
            .finally(() => {
              clearTimeout(transportTimer);
              attempt.abort = undefined;
              release();
            });
        },
      };
      this.#pending.add(attempt);
      callerTimer = setTimeout(() => {
        if (!this.#state.isActive('deadline-propagation')) return finish('timeout');
        // The caller gives up: with deadline propagation its work goes too.
        if (this.#queue.remove(attempt)) return finish('dropped');
        attempt.abort?.();
        finish('timeout');
      }, settings.timeoutMs);
      cancelled.addEventListener('abort', onCancel, { once: true });
      if (!this.#queue.enqueue(attempt)) finish('error');
    });
  }

  /** Ends every queued and running call (they count as errors). Downstream settings are left as they are. */
  async close(): Promise<void> {
    this.#closing.abort();
    this.#queue.drain();
    for (const attempt of [...this.#pending]) {
      attempt.abort?.();
      attempt.finish('error');
    }
    this.#agent.destroy();
  }
}
