// Worker side of pool instrumentation ('@runtime-lab/telemetry/pool-worker').
//
// Why measure in the worker: piscina 5's runTime is taken on the main thread, so it includes
// however long the main loop took to notice the result (a 10 ms task during a 500 ms stall
// reads 510 ms), and its utilization is off by ~1000x. Start and end are taken here, on the
// clock all threads share (process.hrtime), so the main thread gets wait = start - submit and
// run = end - start exactly.
import { CLOCK_END, CLOCK_START, isEnvelope } from './pool-envelope.js';

/**
 * Wraps a piscina task handler so InstrumentedPool can time it: `export default measured(fn)`
 * in the worker file. Tasks submitted straight through `pool.run` (not instrumented) still work.
 */
export function measured<T, R>(fn: (task: T) => R | Promise<R>): (task: unknown) => Promise<R> {
  return async (input: unknown): Promise<R> => {
    if (!isEnvelope(input)) return fn(input as T);
    const clock = new BigInt64Array(input.clock);
    Atomics.store(clock, CLOCK_START, process.hrtime.bigint());
    try {
      return await fn(input.task as T);
    } finally {
      Atomics.store(clock, CLOCK_END, process.hrtime.bigint());
    }
  };
}
