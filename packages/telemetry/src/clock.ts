// One clock for every thread: process.hrtime is CLOCK_MONOTONIC, shared by all threads of the
// process, so a time taken in a worker can be subtracted from one taken on the main thread.
// (performance.now() is relative to each thread's own timeOrigin, so it is not comparable.)

export function nowNs(): bigint {
  return process.hrtime.bigint();
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function nsToSeconds(ns: bigint): number {
  return Number(ns) / 1e9;
}
