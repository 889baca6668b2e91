// Messages between the runner and an open-loop worker. Records travel as flat Float64Arrays
// of RECORD_WIDTH numbers each (transferred, not copied): intended send time (epoch ms),
// latency from the intended time (ms), outcome, and send-schedule error (ms): the actual send
// time is intended + error.

export const RECORD_WIDTH = 4;
export const OUTCOME_OK = 0;
export const OUTCOME_ERROR = 1;
export const OUTCOME_TIMEOUT = 2;

export interface RateSegment {
  /** Offset from the stream's start, ms. */
  fromMs: number;
  ratePerSecond: number;
}

export interface OpenLoopConfig {
  url: string;
  method: 'GET' | 'POST';
  body?: string;
  timeoutMs: number;
  durationMs: number;
  segments: RateSegment[];
  /**
   * Keep-alive sockets opened before the schedule starts, with GETs of `path` on the same origin
   * (a cheap route, not the one under test). See open-loop-worker.ts for why.
   */
  warmup?: { path: string; sockets: number };
  /**
   * `keep-alive` (default): reuse sockets, the warm client. `new`: a new TCP connection for each
   * request, closed after its answer (`Connection: close`): the cold client, as load balancers
   * without keep-alive, health checkers and kubelet probes connect. `warmup` is ignored then.
   */
  connection?: 'keep-alive' | 'new';
}

export type WorkerCommand = { type: 'start'; startEpochMs: number } | { type: 'stop' };

export type WorkerEvent = { type: 'ready'; openSockets: number } | { type: 'records'; records: Float64Array } | { type: 'done' };
