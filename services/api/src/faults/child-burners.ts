// A small fixed set of long-lived child processes for the `child-process` blocking mode.
// Long-lived (not one spawn per request) because spawning costs the loop a fork and the
// machine ~40 ms of Node start-up per request; the lesson is "CPU elsewhere", not "spawn".
import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const CHILD_SCRIPT = fileURLToPath(new URL('./burn-child.js', import.meta.url));

interface Job {
  id: number;
  durationMs: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Burner {
  child: ChildProcess;
  current: Job | undefined;
}

export class ChildBurners {
  readonly #size: number;
  readonly #burners: Burner[] = [];
  readonly #waiting: Job[] = [];
  #nextId = 1;
  #closed = false;

  // One core is left to the api's own loop: the control must not win by starving it.
  constructor(size = Math.max(1, availableParallelism() - 1)) {
    this.#size = size;
  }

  /** Burns `durationMs` of CPU in a child; resolves when done (queued while all children are busy). */
  burn(durationMs: number): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('child burners are closed'));
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ id: this.#nextId++, durationMs, resolve, reject });
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

  /** Kills the children; queued and running burns reject. */
  close(): void {
    this.#closed = true;
    for (const job of this.#waiting.splice(0)) job.reject(new Error('child burners closed'));
    for (const burner of this.#burners.splice(0)) {
      burner.current?.reject(new Error('child burners closed'));
      burner.current = undefined;
      burner.child.kill('SIGKILL');
    }
  }
}
