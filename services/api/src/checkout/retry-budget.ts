// Finagle-style retry budget: over a sliding 10 s window, retries may not exceed
// ratio × first attempts + minRetriesPerSecond × 10. Kept in ten one-second buckets.

const WINDOW_SECONDS = 10;

export class RetryBudget {
  readonly #firsts = new Array<number>(WINDOW_SECONDS).fill(0);
  readonly #retries = new Array<number>(WINDOW_SECONDS).fill(0);
  #second = -1;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #advance(): number {
    const second = Math.floor(this.#now() / 1000);
    if (this.#second === -1) this.#second = second;
    // Clear the buckets of the seconds that went by (at most the whole window).
    for (let s = this.#second + 1; s <= second && s - this.#second <= WINDOW_SECONDS; s++) {
      this.#firsts[s % WINDOW_SECONDS] = 0;
      this.#retries[s % WINDOW_SECONDS] = 0;
    }
    this.#second = Math.max(this.#second, second);
    return second % WINDOW_SECONDS;
  }

  recordFirstAttempt(): void {
    const slot = this.#advance();
    this.#firsts[slot] = (this.#firsts[slot] ?? 0) + 1;
  }

  /** True (and the retry is counted) when the budget allows one more retry now. */
  tryRetry(ratio: number, minRetriesPerSecond: number): boolean {
    const slot = this.#advance();
    const firsts = this.#firsts.reduce((a, b) => a + b, 0);
    const retries = this.#retries.reduce((a, b) => a + b, 0);
    if (retries + 1 > ratio * firsts + minRetriesPerSecond * WINDOW_SECONDS) return false;
    this.#retries[slot] = (this.#retries[slot] ?? 0) + 1;
    return true;
  }
}
