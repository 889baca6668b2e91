// Messages the main thread sends to the piscina workers (worker.ts).
import type { BlockingMode } from '../faults/catalogue.js';

export type PoolTask =
  /** POST /api/report: CPU work of taskMs, then a small summary. */
  | { kind: 'report'; taskMs: number; rows: number }
  /** The blocking fault's work under `offload`. */
  | { kind: 'block'; mode: BlockingMode; durationMs: number }
  /** /api/hash's pbkdf2 under `offload`: synchronous in the worker, off the libuv threadpool. */
  | { kind: 'hash'; iterations: number; salt: string };

export interface ReportResult {
  rows: number;
  checksum: number;
  taskMs: number;
}

export interface HashResult {
  hash: string;
}

/** What worker.ts receives as piscina workerData. */
export interface PoolWorkerData {
  /** The app's stop flag (SharedArrayBuffer): long tasks end early at shutdown. */
  stop: SharedArrayBuffer;
}
