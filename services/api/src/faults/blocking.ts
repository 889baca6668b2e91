// The blocking fault as requests see it: decides per request whether to do the work, and
// where (on the loop, in slices, in a child process, or in the offload pool).
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { ApiErrorCode } from '../errors.js';
import type { BlockingMode, RouteName } from './catalogue.js';
import { runBlockingWork, type StopFlag, spinCpu, stopRequested } from './blocking-work.js';
import { ChildBurners } from './child-burners.js';
import { describeChange, type FaultState } from './state.js';
import { InputTriggers, type RequestInput } from './trigger.js';

/** Runs blocking work in the offload pool (present only while `offload` is on). */
export type OffloadRunner = (mode: BlockingMode, durationMs: number) => Promise<void>;

/** Slice of the `chunked` control: short enough that N concurrent requests still keep the loop responsive. */
export const CHUNK_MS = 2;

export class Blocker {
  readonly #state: FaultState;
  readonly #stop: StopFlag;
  readonly #offload: () => OffloadRunner | undefined;
  readonly #triggers: InputTriggers;
  #children: ChildBurners | undefined;

  constructor(state: FaultState, stop: StopFlag, offload: () => OffloadRunner | undefined, triggers = new InputTriggers()) {
    this.#state = state;
    this.#stop = stop;
    this.#offload = offload;
    this.#triggers = triggers;
    // Child processes exist only while the fault asks for them.
    state.onChange((change) => {
      if (change.name === 'blocking' && change.params?.mode !== 'child-process') this.#closeChildren(describeChange(change));
    });
  }

  /** Called for every lab route before its handler (after body parsing, so a body trigger can see the body). */
  async maybeBlock(route: RouteName, request: RequestInput): Promise<void> {
    const params = this.#state.get('blocking');
    if (!params?.routes.includes(route) || stopRequested(this.#stop)) return;
    if (!this.#triggers.fires('blocking', params, request)) return;
    if (params.fraction < 1 && Math.random() >= params.fraction) return;
    const offload = this.#offload();
    if (offload) return offload(params.mode, params.durationMs);
    switch (params.mode) {
      case 'chunked':
        return this.#chunked(params.durationMs);
      case 'child-process':
        this.#children ??= new ChildBurners();
        return this.#children.burn(params.durationMs, this.#state.retryAfterSeconds());
      default:
        return runBlockingWork(params.mode, params.durationMs, this.#stop);
    }
  }

  /** The same CPU as `cpu`, in CHUNK_MS slices with a full loop turn between them. */
  async #chunked(durationMs: number): Promise<void> {
    let remainingMs = durationMs;
    while (remainingMs > 0 && !stopRequested(this.#stop)) {
      const sliceMs = Math.min(CHUNK_MS, remainingMs);
      spinCpu(sliceMs, this.#stop);
      remainingMs -= sliceMs;
      await yieldToLoop();
    }
  }

  #closeChildren(why: string, code?: ApiErrorCode): void {
    this.#children?.close(why, code);
    this.#children = undefined;
  }

  /** At shutdown: burns still queued or running are answered 503 LAB_SHUTTING_DOWN. */
  close(): void {
    this.#closeChildren('the api is shutting down', 'LAB_SHUTTING_DOWN');
  }
}
