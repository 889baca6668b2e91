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
}

export class OpenLoopStream {
  private readonly worker: Worker;
  private readonly readySignal = deferred();
  private readonly doneSignal = deferred();
  private finished = false;
  /** Keep-alive sockets the worker had open when it became ready (see OpenLoopConfig.warmup). */
  openSockets = 0;

  constructor(options: OpenLoopOptions) {
    const { onRecords, ...config } = options;
    this.worker = new Worker(new URL('./open-loop-worker.js', import.meta.url), { workerData: config });
    const fail = (error: Error): void => {
      this.readySignal.reject(error);
      this.doneSignal.reject(error);
    };
    this.worker.on('message', (event: WorkerEvent) => {
      if (event.type === 'ready') {
        this.openSockets = event.openSockets;
        this.readySignal.resolve();
      } else if (event.type === 'records') onRecords(decode(event.records));
      else if (event.type === 'done') {
        this.finished = true;
        this.doneSignal.resolve();
        void this.worker.terminate();
      }
    });
    this.worker.on('error', fail);
    this.worker.on('exit', () => {
      if (!this.finished) fail(new Error('open-loop worker exited before finishing'));
    });
  }

  ready(): Promise<void> {
    return this.readySignal.promise;
  }

  start(startEpochMs: number): void {
    this.worker.postMessage({ type: 'start', startEpochMs });
  }

  /** Resolves when the schedule has ended and every request sent got its answer or timed out. */
  done(): Promise<void> {
    return this.doneSignal.promise;
  }

  /** Stops sending; requests in flight still finish (or time out) and are reported. */
  async stop(): Promise<void> {
    if (!this.finished) this.worker.postMessage({ type: 'stop' });
    await this.doneSignal.promise;
  }

  /** Last resort: ends the worker without waiting for answers. */
  async kill(): Promise<void> {
    this.finished = true;
    await this.worker.terminate();
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

/** Sockets to pre-open for a rate: enough for 2 s of it in flight at once, at most 256. */
export function warmSocketsFor(ratePerSecond: number): number {
  return Math.min(MAX_WARM_SOCKETS, Math.ceil(Math.max(0, ratePerSecond) * WARM_SECONDS_IN_FLIGHT));
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
