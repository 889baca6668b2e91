// Messages between the runner and an open-loop worker. Records travel as flat Float64Arrays
// of RECORD_WIDTH numbers each (transferred, not copied): intended send time (epoch ms),
// latency from the intended time (ms), outcome, and send-schedule error (ms).

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
}

export type WorkerCommand = { type: 'start'; startEpochMs: number } | { type: 'stop' };

export type WorkerEvent = { type: 'ready' } | { type: 'records'; records: Float64Array } | { type: 'done' };
