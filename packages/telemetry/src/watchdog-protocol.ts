// Messages between the main thread and the watchdog worker, and the metric families the worker
// reports itself (left out of the registry snapshot). Only the metric-names package and types:
// the worker loads this file too.
import {
  METRIC_EVENTLOOP_STALL_SECONDS,
  METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS,
  METRIC_WATCHDOG_UP,
  withPrefix,
} from '@runtime-lab/metric-names';
import type { SamplerEvent, StallAttributionConfig } from './stall-sampler.js';

/** Families the watchdog thread writes live at scrape time: the stall, the snapshot's age, watchdog_up. */
export function liveFamilies(prefix: string): { stall: string; age: string; up: string } {
  return {
    stall: withPrefix(METRIC_EVENTLOOP_STALL_SECONDS, prefix),
    age: withPrefix(METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS, prefix),
    up: withPrefix(METRIC_WATCHDOG_UP, prefix),
  };
}

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
  /** How much the worker thread raises its nice value above the loop's on Linux (0: left alone). */
  nice: number;
  /** Stall attribution (stall-sampler.ts); absent when the option is off. */
  attribution?: StallAttributionConfig;
}

export type ToWatchdog =
  /**
   * The next UTF-8 chunk of the snapshot being written (its ArrayBuffer transferred, not copied),
   * sent as soon as it is full; the snapshot is their concatenation, without the live families.
   */
  | { type: 'snapshot-chunk'; chunk: Uint8Array }
  /** The snapshot whose chunks were just sent is complete; its values were collected from takenAtNs on. */
  | { type: 'snapshot-done'; takenAtNs: bigint }
  /** Writing failed: drop the chunks received since the last done. */
  | { type: 'snapshot-failed' }
  /** Test hook: throw inside the worker so tests exercise the real crash path. */
  | { type: 'crash' };

export type FromWatchdog =
  /** niceError: why the thread's nice value could not be set (absent when it was, or was not asked for). */
  | { type: 'listening'; host: string; port: number; niceError?: string }
  /** A scrape arrived and the snapshot is older than snapshotMaxAgeMs. */
  | { type: 'snapshot-wanted' }
  | { type: 'listen-error'; code: string; message: string }
  | SamplerEvent;
