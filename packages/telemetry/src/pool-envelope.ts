// What InstrumentedPool.run sends to a piscina worker instead of the bare task: the task plus
// a small shared clock the worker writes its start and end times into. Shared memory (rather
// than a wrapped return value) means the times survive a task that throws, and the main
// thread can see a task has started before it ends (for utilization over an interval).

export const ENVELOPE_KEY = '__runtimeLabMeasuredTask';

export interface TaskEnvelope<T = unknown> {
  [ENVELOPE_KEY]: true;
  task: T;
  /** BigInt64Array[0] = start, [1] = end, process.hrtime.bigint() ns; 0 = not yet. */
  clock: SharedArrayBuffer;
}

export const CLOCK_START = 0;
export const CLOCK_END = 1;

export function isEnvelope(value: unknown): value is TaskEnvelope {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[ENVELOPE_KEY] === true;
}
