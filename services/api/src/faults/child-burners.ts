// A small fixed set of long-lived child processes for the `child-process` blocking mode.
// Long-lived (not one spawn per request) because spawning costs the loop a fork and the
// machine ~40 ms of Node start-up per request; the lesson is "CPU elsewhere", not "spawn".
// Burns beyond the children wait in a queue that is hard-capped like every "unbounded" queue
// of the lab: past the cap a request is refused with 503 + Retry-After, never queued.
import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ApiError, type ApiErrorCode } from '../errors.js';
import { HARD_QUEUE_CAP } from './catalogue.js';

const CHILD_SCRIPT = fileURLToPath(new URL('./burn-child.js', import.meta.url));

interface Job {
  id: number;
  durationMs: number;
  retryAfterSeconds: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface ChildBurnersOptions {
  /** Child processes; default one per core but one, which is left to the api's own loop. */
  size?: number;
  /** Burns allowed to wait for a child; default HARD_QUEUE_CAP. */
  maxWaiting?: number;
}

interface Burner {
  child: ChildProcess;
  current: Job | undefined;
}

export class ChildBurners {
  readonly #size: number;
  readonly #maxWaiting: number;
  readonly #burners: Burner[] = [];
  readonly #waiting: Job[] = [];
  #nextId = 1;
  #closed = false;

  // One core is left to the api's own loop: the control must not win by starving it.
  constructor(options: ChildBurnersOptions = {}) {
    this.#size = options.size ?? Math.max(1, availableParallelism() - 1);
    this.#maxWaiting = options.maxWaiting ?? HARD_QUEUE_CAP;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Burns `durationMs` of CPU in a child; resolves when done (queued while all children are
   * busy). Rejects with a 503 ApiError when the queue is full or the burners were closed.
   */
  burn(durationMs: number, retryAfterSeconds: number): Promise<void> {
    if (this.#closed) return Promise.reject(cancelled('LAB_CHILD_WORK_CANCELLED', 'the child processes were closed', retryAfterSeconds));
    // Jobs only wait while every child is busy (#dispatch starts one otherwise).
    if (this.#waiting.length >= this.#maxWaiting) {
      return Promise.reject(
        new ApiError(
          'LAB_CHILD_QUEUE_FULL',
          503,
          `blocking (child-process): ${this.#waiting.length} burns already wait for the ${this.#size} child process(es), the limit is ${this.#maxWaiting}; retry after ${retryAfterSeconds} s`,
          { maxWaiting: this.#maxWaiting },
          retryAfterSeconds,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ id: this.#nextId++, durationMs, retryAfterSeconds, resolve, reject });
      this.#dispatch();
    });
  }

  #start(): Burner {
    // execArgv [] so a child does not inherit --inspect or test-runner flags of the parent.
    const child = fork(CHILD_SCRIPT, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const burner: Burner = { child, current: undefined };
    child.on('message', () => {
      burner.current?.resolve();
      burner.current = undefined;
      this.#dispatch();
    });
    child.on('exit', () => {
      const index = this.#burners.indexOf(burner);
      if (index !== -1) this.#burners.splice(index, 1);
      burner.current?.reject(new Error('burn child exited'));
      burner.current = undefined;
      if (!this.#closed) this.#dispatch();
    });
    // Idle children must not keep the parent alive.
    child.unref();
    child.channel?.unref();
    this.#burners.push(burner);
    return burner;
  }

  #dispatch(): void {
    while (this.#waiting.length > 0 && !this.#closed) {
      let burner = this.#burners.find((b) => b.current === undefined);
      if (!burner && this.#burners.length < this.#size) burner = this.#start();
      if (!burner) return;
      const job = this.#waiting.shift() as Job;
      burner.current = job;
      burner.child.send({ id: job.id, durationMs: job.durationMs });
    }
  }

  /**
   * Kills the children; queued and running burns reject with a 503 that gives `why`
   * (LAB_SHUTTING_DOWN when `code` says so, else LAB_CHILD_WORK_CANCELLED).
   */
  close(why: string, code: ApiErrorCode = 'LAB_CHILD_WORK_CANCELLED'): void {
    this.#closed = true;
    for (const job of this.#waiting.splice(0)) job.reject(cancelled(code, why, job.retryAfterSeconds));
    for (const burner of this.#burners.splice(0)) {
      if (burner.current) burner.current.reject(cancelled(code, why, burner.current.retryAfterSeconds));
      burner.current = undefined;
      burner.child.kill('SIGKILL');
    }
  }
}

function cancelled(code: ApiErrorCode, why: string, retryAfterSeconds: number): ApiError {
  return new ApiError(
    code,
    503,
    `blocking (child-process): ${why} before this burn finished; it was cancelled; retry after ${retryAfterSeconds} s`,
    {},
    retryAfterSeconds,
  );
}
