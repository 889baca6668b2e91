// A concurrency limit with a FIFO wait queue: requests beyond `concurrency` wait for a slot.
// The limit can change at run time (the api's queue-amplification fault sets it).

export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
  fail: (reason: unknown) => void;
}

export class Limiter {
  #concurrency: number;
  #inflight = 0;
  readonly #waiters: Waiter[] = [];

  constructor(concurrency: number) {
    this.#concurrency = concurrency;
  }

  get inflight(): number {
    return this.#inflight;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  set concurrency(value: number) {
    this.#concurrency = value;
    this.#grantWaiting();
  }

  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#inflight < this.#concurrency && this.#waiters.length === 0) return Promise.resolve(this.#take());
    return new Promise<Release>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index !== -1) this.#waiters.splice(index, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        fail: reject,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  #take(): Release {
    this.#inflight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inflight--;
      this.#grantWaiting();
    };
  }

  #grantWaiting(): void {
    while (this.#inflight < this.#concurrency && this.#waiters.length > 0) {
      (this.#waiters.shift() as Waiter).grant(this.#take());
    }
  }

  /** Rejects every waiter (shutdown). */
  rejectWaiting(reason: unknown): void {
    for (const waiter of this.#waiters.splice(0)) waiter.fail(reason);
  }
}
