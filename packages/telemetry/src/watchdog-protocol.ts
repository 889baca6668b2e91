// Messages between the main thread and the watchdog worker. Type-only: the worker file must
// stay free of dependencies, and types vanish at compile time.
import type { SamplerEvent, StallAttributionConfig } from './stall-sampler.js';

export interface WatchdogWorkerData {
  /** BigInt64Array[0]: the main thread's last heartbeat, process.hrtime.bigint() nanoseconds. */
  heartbeat: SharedArrayBuffer;
  host: string;
  port: number;
  prefix: string;
  /** A scrape finding an older snapshot asks the main thread for a fresh one. */
  snapshotMaxAgeMs: number;
  /** /livez answers 503 while the heartbeat is older than this. */
  livenessMaxStallMs: number;
  /** Stall attribution (stall-sampler.ts); absent when the option is off. */
  attribution?: StallAttributionConfig;
}

export type ToWatchdog =
  /** The exposition text in pieces (their concatenation), so the main thread never joins a large registry at once. */
  | { type: 'snapshot'; pieces: string[]; takenAtNs: bigint }
  /** Test hook: throw inside the worker so tests exercise the real crash path. */
  | { type: 'crash' };

export type FromWatchdog =
  | { type: 'listening'; host: string; port: number }
  /** A scrape arrived and the snapshot is older than snapshotMaxAgeMs. */
  | { type: 'snapshot-wanted' }
  | { type: 'listen-error'; code: string; message: string }
  | SamplerEvent;
