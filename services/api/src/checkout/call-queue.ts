// The api's in-process queue of downstream calls: FIFO, `concurrency` dispatched at a time,
// bounded by `limit` (which is always finite: "unbounded" means HARD_QUEUE_CAP).

export interface QueuedCall {
  /** Called when the call gets a dispatch slot; must call release() exactly once when done. */
  start(release: () => void): void;
}

export class CallQueue {
  #items: (QueuedCall | undefined)[] = [];
  #head = 0;
  #backlog = 0;
  #inflight = 0;
  concurrency: number;
  limit: number;

  constructor(concurrency: number, limit: number) {
    this.concurrency = concurrency;
    this.limit = limit;
  }

  /** Calls waiting for a slot (lab_checkout_backlog). */
  get backlog(): number {
    return this.#backlog;
  }

  get inflight(): number {
    return this.#inflight;
  }

  /** False when the queue is at its limit (the call was not queued). */
  enqueue(call: QueuedCall): boolean {
    if (this.#backlog >= this.limit) return false;
    this.#items.push(call);
    this.#backlog++;
    this.pump();
    return true;
  }

  /** Takes a call out before it was dispatched; false when it is no longer queued. */
  remove(call: QueuedCall): boolean {
    const index = this.#items.indexOf(call, this.#head);
    if (index === -1) return false;
    // Leave a hole rather than splice: removal stays O(n) in the search only, dispatch O(1).
    this.#items[index] = undefined;
    this.#backlog--;
    return true;
  }

  /** Removes and returns every queued call. */
  drain(): QueuedCall[] {
    const calls = this.#items.slice(this.#head).filter((c): c is QueuedCall => c !== undefined);
    this.#items = [];
    this.#head = 0;
    this.#backlog = 0;
    return calls;
  }

  /** Dispatches while slots are free (also after `concurrency` grew). */
  pump(): void {
    while (this.#inflight < this.concurrency && this.#head < this.#items.length) {
      const call = this.#items[this.#head];
      this.#items[this.#head] = undefined;
      this.#head++;
      if (!call) continue;
      this.#backlog--;
      this.#inflight++;
      let released = false;
      call.start(() => {
        if (released) return;
        released = true;
        this.#inflight--;
        this.pump();
      });
    }
    // Compact now and then so a long-lived queue does not keep a growing array of holes.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
