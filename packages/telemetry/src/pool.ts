// Metrics for piscina pools handed to instrumentPool(): queue size, wait time and run time
// measured in the worker (see pool-worker.ts), and utilization computed correctly:
// busy time / (maxThreads x wall time) over the last interval. piscina 5's own utilization
// is off by a factor of ~1000, and its runTime includes main-loop delay.
import {
  METRIC_POOL_QUEUE_SIZE,
  METRIC_POOL_RUN_SECONDS,
  METRIC_POOL_TASKS_TOTAL,
  METRIC_POOL_THREADS,
  METRIC_POOL_UTILIZATION_RATIO,
  METRIC_POOL_WAIT_SECONDS,
  withPrefix,
} from '@runtime-lab/metric-names';
import type { MessagePort } from 'node:worker_threads';
import { Counter, Gauge, Histogram } from 'prom-client';
import { nowNs } from './clock.js';
import { invalidPool, poolNotMeasured } from './errors.js';
import type { OwnedMetrics } from './owned-metrics.js';
import { CLOCK_END, CLOCK_START, ENVELOPE_KEY, type TaskEnvelope } from './pool-envelope.js';

/**
 * The options of piscina's pool.run(task, options) the plugin passes through. Spelled out here so
 * the plugin's types do not require piscina, an optional dependency of the plugin's users.
 */
export interface RunOptions {
  /** As MessagePort.postMessage takes it (piscina derives its own type the same way). */
  transferList?: Parameters<MessagePort['postMessage']>[1];
  filename?: string | null;
  name?: string | null;
  signal?: AbortSignal | null;
}

/** What instrumentPool() uses of a piscina 5 pool (a `Piscina` instance satisfies it). */
export interface PoolLike {
  run(task: unknown, options?: RunOptions): Promise<unknown>;
  readonly queueSize: number;
  readonly threads: readonly unknown[];
  readonly options: { readonly maxThreads: number };
}

export interface InstrumentedPool<P extends PoolLike = PoolLike> {
  /** Like pool.run(task, options), timed; the worker's handler must be wrapped in measured(). */
  run<R>(task: unknown, options?: RunOptions): Promise<R>;
  readonly pool: P;
}

export const POOL_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const POOL_NAME = /^[a-zA-Z0-9_.:-]{1,64}$/;

interface Task {
  submitNs: bigint;
  clock: BigInt64Array;
}

interface PoolState {
  name: string;
  pool: PoolLike;
  running: Set<Task>;
  /** [start, end] of tasks that settled since the last utilization tick. */
  settled: Array<[bigint, bigint]>;
}

interface PoolMetricSet {
  wait: Histogram<'pool'>;
  run: Histogram<'pool'>;
  utilization: Gauge<'pool'>;
  tasks: Counter<'pool' | 'outcome'>;
}

function overlapNs(start: bigint, end: bigint, from: bigint, to: bigint): bigint {
  const a = start > from ? start : from;
  const b = end < to ? end : to;
  return b > a ? b - a : 0n;
}

export class PoolMetrics {
  readonly #owned: OwnedMetrics;
  readonly #prefix: string;
  readonly #intervalMs: number;
  readonly #pools = new Map<string, PoolState>();
  #metrics?: PoolMetricSet;
  #timer?: NodeJS.Timeout;
  #lastTickNs = 0n;

  constructor(owned: OwnedMetrics, prefix: string, intervalMs: number) {
    this.#owned = owned;
    this.#prefix = prefix;
    this.#intervalMs = intervalMs;
  }

  instrument<P extends PoolLike>(name: string, pool: P): InstrumentedPool<P> {
    if (typeof name !== 'string' || !POOL_NAME.test(name)) {
      throw invalidPool(`name ${JSON.stringify(name)} is not allowed: use 1-64 characters from [a-zA-Z0-9_.:-]`);
    }
    if (this.#pools.has(name)) throw invalidPool(`a pool named "${name}" is already instrumented; names must be unique`);
    if (typeof pool !== 'object' || pool === null || typeof pool.run !== 'function' || !('queueSize' in pool)) {
      throw invalidPool(`pool "${name}" is not a piscina pool (expected an object with run() and queueSize)`);
    }
    const metrics = this.#ensureMetrics();
    const state: PoolState = { name, pool, running: new Set(), settled: [] };
    this.#pools.set(name, state);
    metrics.utilization.set({ pool: name }, 0);
    for (const outcome of ['ok', 'error', 'rejected']) metrics.tasks.inc({ pool: name, outcome }, 0);

    const run = async <R>(task: unknown, options?: RunOptions): Promise<R> => {
      const clockBuffer = new SharedArrayBuffer(16);
      const entry: Task = { submitNs: nowNs(), clock: new BigInt64Array(clockBuffer) };
      const envelope: TaskEnvelope = { [ENVELOPE_KEY]: true, task, clock: clockBuffer };
      state.running.add(entry);
      let outcome: 'ok' | 'error' | 'rejected' = 'ok';
      try {
        const result = (await pool.run(envelope, options)) as R;
        if (Atomics.load(entry.clock, CLOCK_START) === 0n) {
          outcome = 'error';
          throw poolNotMeasured(name);
        }
        return result;
      } catch (error) {
        // A task that never started in a worker was refused (queue full, aborted, pool closed).
        if (outcome === 'ok') outcome = Atomics.load(entry.clock, CLOCK_START) === 0n ? 'rejected' : 'error';
        throw error;
      } finally {
        state.running.delete(entry);
        const startNs = Atomics.load(entry.clock, CLOCK_START);
        const endNs = Atomics.load(entry.clock, CLOCK_END);
        if (startNs !== 0n && endNs !== 0n) {
          metrics.wait.observe({ pool: name }, Math.max(0, Number(startNs - entry.submitNs)) / 1e9);
          metrics.run.observe({ pool: name }, Number(endNs - startNs) / 1e9);
          state.settled.push([startNs, endNs]);
        }
        metrics.tasks.inc({ pool: name, outcome });
      }
    };
    return { run, pool };
  }

  /** Busy time in (lastTick, now] over capacity: tasks that settled, plus those still running. */
  #tick(): void {
    const metrics = this.#metrics;
    if (!metrics) return;
    const now = nowNs();
    const from = this.#lastTickNs;
    this.#lastTickNs = now;
    const wallNs = now - from;
    if (wallNs <= 0n) return;
    for (const state of this.#pools.values()) {
      let busyNs = 0n;
      for (const [start, end] of state.settled) busyNs += overlapNs(start, end, from, now);
      state.settled.length = 0;
      for (const task of state.running) {
        const start = Atomics.load(task.clock, CLOCK_START);
        if (start === 0n) continue;
        const end = Atomics.load(task.clock, CLOCK_END);
        busyNs += overlapNs(start, end === 0n ? now : end, from, now);
      }
      const threads = Math.max(1, state.pool.options.maxThreads);
      const ratio = Number(busyNs) / (threads * Number(wallNs));
      metrics.utilization.set({ pool: state.name }, Math.min(1, ratio));
    }
  }

  #ensureMetrics(): PoolMetricSet {
    if (this.#metrics) return this.#metrics;
    const p = this.#prefix;
    const pools = this.#pools;
    this.#owned.add(
      withPrefix(METRIC_POOL_THREADS, p),
      new Gauge({
        name: withPrefix(METRIC_POOL_THREADS, p),
        help: 'Worker threads in the pool.',
        labelNames: ['pool'],
        registers: [],
        collect() {
          for (const s of pools.values()) this.set({ pool: s.name }, s.pool.threads.length);
        },
      }),
    );
    this.#owned.add(
      withPrefix(METRIC_POOL_QUEUE_SIZE, p),
      new Gauge({
        name: withPrefix(METRIC_POOL_QUEUE_SIZE, p),
        help: 'Tasks waiting for a worker.',
        labelNames: ['pool'],
        registers: [],
        collect() {
          for (const s of pools.values()) this.set({ pool: s.name }, s.pool.queueSize);
        },
      }),
    );
    const wait = this.#owned.add(
      withPrefix(METRIC_POOL_WAIT_SECONDS, p),
      new Histogram({
        name: withPrefix(METRIC_POOL_WAIT_SECONDS, p),
        help: 'Time from submit until a worker starts the task.',
        labelNames: ['pool'],
        buckets: POOL_BUCKETS_SECONDS,
        registers: [],
      }),
    );
    const run = this.#owned.add(
      withPrefix(METRIC_POOL_RUN_SECONDS, p),
      new Histogram({
        name: withPrefix(METRIC_POOL_RUN_SECONDS, p),
        help: 'Task run time measured inside the worker.',
        labelNames: ['pool'],
        buckets: POOL_BUCKETS_SECONDS,
        registers: [],
      }),
    );
    const utilization = this.#owned.add(
      withPrefix(METRIC_POOL_UTILIZATION_RATIO, p),
      new Gauge({
        name: withPrefix(METRIC_POOL_UTILIZATION_RATIO, p),
        help: `Busy time / (maxThreads x wall time) over the last ${this.#intervalMs} ms.`,
        labelNames: ['pool'],
        registers: [],
      }),
    );
    const tasks = this.#owned.add(
      withPrefix(METRIC_POOL_TASKS_TOTAL, p),
      new Counter({
        name: withPrefix(METRIC_POOL_TASKS_TOTAL, p),
        help: 'Tasks finished, by outcome (rejected: never started, e.g. queue full or aborted).',
        labelNames: ['pool', 'outcome'],
        registers: [],
      }),
    );
    this.#metrics = { wait, run, utilization, tasks };
    this.#lastTickNs = nowNs();
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs).unref();
    return this.#metrics;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
