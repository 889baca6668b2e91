// The two piscina pools and how toggles reshape them:
//   report  – always there; threads and queue bound follow executor-saturation, larger-pool
//             and load-shedding;
//   offload – exists only while the `offload` mitigation is on.
// piscina cannot resize a running pool, so a new shape means a new pool. The old one is
// destroyed at once, its queued and running tasks cancelled (their requests get a 503 that says
// why): piscina's close() would first run the old queue to the end (up to its 30 s closeTimeout,
// then fail the rest with a bare error), so after `DELETE /admin/faults` a saturated pool would
// keep burning CPU and its queue gauge would keep counting. Metrics: the telemetry plugin.
import { Piscina } from 'piscina';
import { ApiError } from '../errors.js';
import { HARD_QUEUE_CAP, type ParamsOf } from '../faults/catalogue.js';
import type { StopFlag } from '../faults/blocking-work.js';
import { describeChange, type FaultState } from '../faults/state.js';
import type { PoolTask, PoolWorkerData } from './tasks.js';

/** What the telemetry plugin's instrumentPool returns: the pool's run, measured. */
export interface MeasuredPool {
  run<R>(task: unknown, options?: { signal?: AbortSignal | null }): Promise<R>;
}
export type InstrumentPool = (name: string, pool: Piscina) => MeasuredPool;

/** Healthy report pool: two workers, tasks of 20 ms. */
export const HEALTHY_REPORT = { threads: 2, taskMs: 20 } as const;

const WORKER_FILE = new URL('./worker.js', import.meta.url).href;

// piscina's worker first tries require() on the worker file and falls back to import().
// On Node versions where require() can load ES modules, that synchronous path aborted the
// whole process once in CI ("FATAL ERROR: v8::Module::IsGraphAsync must be used on an
// instantiated module", from ModuleJob.runSync in a pool worker) while pools were being
// reshaped. Turning require(esm) off in the pool's threads makes piscina take its
// import() path, which has no such state; where the flag does not exist, nothing changes.
const NO_REQUIRE_ESM = '--no-experimental-require-module';
// Only that flag, never the parent's process.execArgv: a worker refuses process-wide options
// (ERR_WORKER_INVALID_EXEC_ARGV on Node 26), and under `node --test` that list is full of them.
// The pool's threads need nothing else from the command line.
const WORKER_EXEC_ARGV = process.allowedNodeEnvironmentFlags.has(NO_REQUIRE_ESM) ? [NO_REQUIRE_ESM] : [];

export interface Shape {
  threads: number;
  maxQueue: number;
}

interface Live {
  shape: Shape;
  piscina: Piscina;
  /** Why the pool was taken out of service, once it was: its cancelled tasks' answer says so. */
  retiredBecause?: string;
  /** Set when the api itself is closing: cancelled tasks are answered as a shutdown. */
  closing?: boolean;
}

// piscina 5 rejects queue overflow with a plain Error (no code), so the message is all there is.
function isQueueOverflow(error: unknown): boolean {
  return error instanceof Error && /queue/i.test(error.message) && /limit|full/i.test(error.message);
}

/**
 * One logical pool ("report", "offload") whose piscina instance is replaced when its shape
 * changes. Telemetry instruments a pool once per name, so it is handed this facade: the
 * surface it reads (run, queueSize, threads, options.maxThreads) answers for the live pool
 * plus retired ones whose workers are still exiting (close() waits for those too).
 */
export class ManagedPool {
  readonly name: string;
  readonly #workerData: PoolWorkerData;
  readonly #measured: MeasuredPool;
  #live: Live | undefined;
  readonly #retiring = new Set<Piscina>();

  constructor(name: string, instrument: InstrumentPool, stop: StopFlag) {
    this.name = name;
    this.#workerData = { stop: stop.buffer as SharedArrayBuffer };
    const self = this;
    const facade = {
      run: (task: unknown, options?: Parameters<Piscina['run']>[1]) => {
        const live = self.#live;
        if (!live) return Promise.reject(new Error(`pool ${self.name} is not running (its toggle is off)`));
        return live.piscina.run(task, options);
      },
      get queueSize() {
        let size = self.#live?.piscina.queueSize ?? 0;
        for (const p of self.#retiring) size += p.queueSize;
        return size;
      },
      get threads() {
        return [...(self.#live?.piscina.threads ?? []), ...[...self.#retiring].flatMap((p) => p.threads)];
      },
      get options() {
        return { maxThreads: self.#live?.shape.threads ?? 0 };
      },
    };
    // Only the members above are read by the telemetry plugin (see packages/telemetry/src/pool.ts).
    this.#measured = instrument(name, facade as unknown as Piscina);
  }

  get shape(): Shape | undefined {
    return this.#live?.shape;
  }

  /** Creates the pool, or replaces it when the shape changed; `why` names the change. */
  reshape(shape: Shape, why = 'its shape changed'): void {
    const current = this.#live;
    if (current && current.shape.threads === shape.threads && current.shape.maxQueue === shape.maxQueue) return;
    const piscina = new Piscina({
      filename: WORKER_FILE,
      execArgv: WORKER_EXEC_ARGV,
      minThreads: shape.threads,
      maxThreads: shape.threads,
      maxQueue: shape.maxQueue,
      // Workers never idle out: the thread count is the fault's parameter.
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData: this.#workerData,
    });
    this.#live = { shape, piscina };
    if (current) this.#retire(current, `replaced (${why})`);
  }

  /** Takes the pool out of service; its queued and running tasks are cancelled. */
  retire(why: string): void {
    const live = this.#live;
    this.#live = undefined;
    if (live) this.#retire(live, `closed (${why})`);
  }

  // destroy() empties the queue and terminates the workers synchronously, so every cancelled
  // task's promise rejects (and the queue gauge drops) in the same tick; a terminated worker
  // stops a busy spin or an Atomics.wait within milliseconds.
  #retire(live: Live, because: string): void {
    live.retiredBecause = because;
    this.#retiring.add(live.piscina);
    void live.piscina
      .destroy()
      .catch(() => undefined)
      .finally(() => this.#retiring.delete(live.piscina));
  }

  /** Runs a task; a full queue or a task cancelled by a toggle change becomes a 503 with Retry-After. */
  async run<R>(task: PoolTask, retryAfterSeconds: number): Promise<R> {
    const live = this.#live;
    try {
      return await this.#measured.run<R>(task);
    } catch (error) {
      if (live?.closing) throw new ApiError('LAB_SHUTTING_DOWN', 503, 'api is shutting down', { pool: this.name }, retryAfterSeconds);
      if (live?.retiredBecause) {
        throw new ApiError(
          'LAB_POOL_RETIRED',
          503,
          `pool ${this.name} was ${live.retiredBecause} before this task finished; the task was cancelled; retry after ${retryAfterSeconds} s`,
          { pool: this.name },
          retryAfterSeconds,
        );
      }
      if (!isQueueOverflow(error)) throw error;
      throw new ApiError(
        'LAB_POOL_QUEUE_FULL',
        503,
        `pool ${this.name} queue is full (${live?.shape.maxQueue} tasks waiting); retry after ${retryAfterSeconds} s`,
        { pool: this.name, maxQueue: live?.shape.maxQueue },
        retryAfterSeconds,
      );
    }
  }

  /** Stops the pool and the retiring ones: running tasks end early through the stop flag. */
  async close(): Promise<void> {
    const live = this.#live;
    if (live) live.closing = true;
    const pools = [live?.piscina, ...this.#retiring].filter((p): p is Piscina => p !== undefined);
    this.#live = undefined;
    this.#retiring.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}

/** Report pool shape for the current toggles. */
export function reportShape(state: FaultState): Shape {
  const executor = state.get('executor-saturation');
  const larger = state.get('larger-pool');
  const shedding = state.get('load-shedding');
  const threads = larger?.threads ?? executor?.threads ?? HEALTHY_REPORT.threads;
  let maxQueue: number = HARD_QUEUE_CAP;
  if (shedding) maxQueue = shedding.maxPoolQueue;
  else if (executor && executor.maxQueue > 0) maxQueue = executor.maxQueue;
  return { threads, maxQueue };
}

export class Pools {
  readonly report: ManagedPool;
  readonly offload: ManagedPool;
  readonly #state: FaultState;

  constructor(state: FaultState, instrument: InstrumentPool, stop: StopFlag) {
    this.#state = state;
    this.report = new ManagedPool('report', instrument, stop);
    this.offload = new ManagedPool('offload', instrument, stop);
    this.report.reshape(reportShape(state));
    state.onChange((change) => {
      if (change.reason === 'close') return;
      const why = describeChange(change);
      this.report.reshape(reportShape(state), why);
      const offload = state.get('offload');
      if (offload) this.offload.reshape({ threads: offload.threads, maxQueue: HARD_QUEUE_CAP }, why);
      else if (change.name === 'offload') this.offload.retire(why);
    });
  }

  /**
   * Report task duration for the current toggles. `fires` says whether executor-saturation applies to
   * this request (its input trigger); the pool's shape does not depend on it.
   */
  reportTaskMs(fires: (saturation: ParamsOf<'executor-saturation'>) => boolean = () => true): number {
    const saturation = this.#state.get('executor-saturation');
    return saturation && fires(saturation) ? saturation.taskMs : HEALTHY_REPORT.taskMs;
  }

  offloadActive(): boolean {
    return this.#state.isActive('offload') && this.offload.shape !== undefined;
  }

  retryAfterSeconds(): number {
    return this.#state.retryAfterSeconds();
  }

  async close(): Promise<void> {
    await Promise.all([this.report.close(), this.offload.close()]);
  }
}
