// Runner side of an open-loop stream (probe or ramp): starts the worker, receives its
// records, and stops it. See open-loop-worker.ts for how latency is measured.
import { Worker } from 'node:worker_threads';
import type { OpenLoopConfig, RateSegment, WorkerEvent } from './open-loop-protocol.js';
import { RECORD_WIDTH } from './open-loop-protocol.js';

export interface OpenLoopRecord {
  intendedMs: number;
  latencyMs: number;
  outcome: 'ok' | 'error' | 'timeout';
  sendErrorMs: number;
}

const OUTCOMES = ['ok', 'error', 'timeout'] as const;

export interface OpenLoopOptions extends OpenLoopConfig {
  onRecords: (records: OpenLoopRecord[]) => void;
  /**
   * Sender threads sharing the schedule (default 1). More than one was slower on the lab's 2-core
   * machine under other work (each thread with a share of the warm sockets, all of them competing
   * with the service for the cores; docs/measurement.md, "Open-loop sender capacity"), so the runner
   * uses one; the option is there to measure it elsewhere.
   */
  threads?: number;
}

export class OpenLoopStream {
  private readonly workers: Worker[];
  private readonly readySignal = deferred();
  private readonly doneSignal = deferred();
  private finished = false;
  /** Keep-alive sockets the workers had open when they became ready (see OpenLoopConfig.warmup). */
  openSockets = 0;
  /** Connections the workers opened in all, warm-up included (known once done). */
  connectionsOpened = 0;

  constructor(options: OpenLoopOptions) {
    const { onRecords, threads, ...config } = options;
    const of = Math.max(1, Math.floor(threads ?? 1));
    const fail = (error: Error): void => {
      this.readySignal.reject(error);
      this.doneSignal.reject(error);
    };
    let ready = 0;
    let done = 0;
    this.workers = Array.from({ length: of }, (_, index) => {
      // Each thread pre-opens its part of the warm sockets.
      const warmup = config.warmup ? { ...config.warmup, sockets: Math.ceil(config.warmup.sockets / of) } : undefined;
      const workerData: OpenLoopConfig = { ...config, ...(warmup ? { warmup } : {}), ...(of > 1 ? { share: { index, of } } : {}) };
      const worker = new Worker(new URL('./open-loop-worker.js', import.meta.url), { workerData });
      let finishedHere = false;
      worker.on('message', (event: WorkerEvent) => {
        if (event.type === 'ready') {
          this.openSockets += event.openSockets;
          ready += 1;
          if (ready === of) this.readySignal.resolve();
        } else if (event.type === 'records') onRecords(decode(event.records));
        else if (event.type === 'done') {
          this.connectionsOpened += event.connectionsOpened;
          finishedHere = true;
          done += 1;
          void worker.terminate();
          if (done === of) {
            this.finished = true;
            this.doneSignal.resolve();
          }
        }
      });
      worker.on('error', fail);
      worker.on('exit', () => {
        if (!this.finished && !finishedHere) fail(new Error('open-loop worker exited before finishing'));
      });
      return worker;
    });
  }

  /** Sender threads of this stream. */
  get threads(): number {
    return this.workers.length;
  }

  ready(): Promise<void> {
    return this.readySignal.promise;
  }

  start(startEpochMs: number): void {
    for (const worker of this.workers) worker.postMessage({ type: 'start', startEpochMs });
  }

  /** Resolves when the schedule has ended and every request sent got its answer or timed out. */
  done(): Promise<void> {
    return this.doneSignal.promise;
  }

  /** Stops sending; requests in flight still finish (or time out) and are reported. */
  async stop(): Promise<void> {
    if (!this.finished) for (const worker of this.workers) worker.postMessage({ type: 'stop' });
    await this.doneSignal.promise;
  }

  /** Last resort: ends the workers without waiting for answers. */
  async kill(): Promise<void> {
    this.finished = true;
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

function decode(flat: Float64Array): OpenLoopRecord[] {
  const out: OpenLoopRecord[] = [];
  for (let i = 0; i + RECORD_WIDTH <= flat.length; i += RECORD_WIDTH) {
    out.push({
      intendedMs: flat[i] as number,
      latencyMs: flat[i + 1] as number,
      outcome: OUTCOMES[flat[i + 2] as number] ?? 'error',
      sendErrorMs: flat[i + 3] as number,
    });
  }
  return out;
}

const WARM_SECONDS_IN_FLIGHT = 2;
const MAX_WARM_SOCKETS = 256;

/**
 * Sockets to pre-open for a rate: enough for 2 s of it in flight at once, at most `maxSockets`
 * (default 256: the runner's streams go up to 5000 req/s, and a larger pool opened at a phase's
 * start disturbs the service). Above a few thousand req/s the cap is what keeps a short hiccup from
 * opening hundreds of connections at once (docs/measurement.md, "Open-loop sender capacity").
 */
export function warmSocketsFor(ratePerSecond: number, maxSockets = MAX_WARM_SOCKETS): number {
  return Math.min(maxSockets, Math.ceil(Math.max(0, ratePerSecond) * WARM_SECONDS_IN_FLIGHT));
}

/** A constant rate. */
export function constantRate(ratePerSecond: number): RateSegment[] {
  return [{ fromMs: 0, ratePerSecond }];
}

/** A rate rising by `stepRate` every `stepSeconds` from `startRate`, capped at `maxRate`, for `durationMs`. */
export function steppedRate(
  startRate: number,
  stepRate: number,
  stepSeconds: number,
  durationMs: number,
  maxRate = Number.POSITIVE_INFINITY,
): RateSegment[] {
  const segments: RateSegment[] = [];
  for (let step = 0; step * stepSeconds * 1000 < durationMs; step += 1) {
    segments.push({ fromMs: step * stepSeconds * 1000, ratePerSecond: Math.min(maxRate, startRate + step * stepRate) });
  }
  return segments;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

function deferred(): Deferred {
  let resolve: () => void = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failure nobody awaits yet must not crash the process as an unhandled rejection.
  promise.catch(() => {});
  return { promise, resolve, reject };
}
