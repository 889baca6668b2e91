// Messages between the main thread and the watchdog worker. Type-only: the worker file must
// stay free of dependencies, and types vanish at compile time.

export interface WatchdogWorkerData {
  /** BigInt64Array[0]: the main thread's last heartbeat, process.hrtime.bigint() nanoseconds. */
  heartbeat: SharedArrayBuffer;
  host: string;
  port: number;
  prefix: string;
  /** /livez answers 503 while the heartbeat is older than this. */
  livenessMaxStallMs: number;
}

export type ToWatchdog =
  | { type: 'snapshot'; text: string; takenAtNs: bigint }
  /** Test hook: throw inside the worker so tests exercise the real crash path. */
  | { type: 'crash' };

export type FromWatchdog =
  | { type: 'listening'; host: string; port: number }
  | { type: 'listen-error'; code: string; message: string };
