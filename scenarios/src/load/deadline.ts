// A request deadline that never fires early.
//
// Timers run on libuv's millisecond loop clock, cached when the loop iteration began: one can
// fire up to a millisecond or so before its delay has really passed on a finer clock. The
// deadline re-arms for what is left, so when it fires at least `timeoutMs` have passed since
// `sentMs` on `now`'s clock, and a timed-out request's latency is ">= the timeout" as reported.

export interface Deadline {
  clear(): void;
}

/**
 * Calls `onExpire` once, when `timeoutMs` (ms, > 0) have passed since `sentMs` on the clock
 * `now()` (ms), unless cleared first.
 */
export function armDeadline(sentMs: number, timeoutMs: number, now: () => number, onExpire: () => void): Deadline {
  let timer: NodeJS.Timeout;
  const arm = (delayMs: number): void => {
    timer = setTimeout(() => {
      const leftMs = sentMs + timeoutMs - now();
      if (leftMs > 0) arm(leftMs);
      else onExpire();
    }, Math.ceil(delayMs));
  };
  arm(timeoutMs - (now() - sentMs));
  return { clear: () => clearTimeout(timer) };
}
