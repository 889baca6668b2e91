// The blocking fault as requests see it: decides per request whether to do the work, and
// where (on the loop, in slices, in a child process, or in the offload pool).
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { ApiErrorCode } from '../errors.js';
import type { BlockingMode, RouteName } from './catalogue.js';
import { runBlockingWork, type StopFlag, spinCpu, stopRequested } from './blocking-work.js';
import { ChildBurners } from './child-burners.js';
import { describeChange, type FaultState } from './state.js';
import { matchesTrigger, parseTrigger, type RequestInput, type Trigger } from './trigger.js';

/** Counts requests a trigger looked at (bounded labels: the source, never the name or value). */
export type TriggerCounter = (source: Trigger['source'], matched: boolean) => void;

/** Runs blocking work in the offload pool (present only while `offload` is on). */
export type OffloadRunner = (mode: BlockingMode, durationMs: number) => Promise<void>;

/** Slice of the `chunked` control: short enough that N concurrent requests still keep the loop responsive. */
export const CHUNK_MS = 2;

export class Blocker {
  readonly #state: FaultState;
  readonly #stop: StopFlag;
  readonly #offload: () => OffloadRunner | undefined;
  readonly #countTrigger: TriggerCounter;
  #children: ChildBurners | undefined;
  /** The active trigger, parsed once per change (its text was validated by the admin API). */
  #trigger: Trigger | undefined;

  constructor(state: FaultState, stop: StopFlag, offload: () => OffloadRunner | undefined, countTrigger: TriggerCounter = () => {}) {
    this.#state = state;
    this.#stop = stop;
    this.#offload = offload;
    this.#countTrigger = countTrigger;
    state.onChange((change) => {
      if (change.name !== 'blocking') return;
      const parsed = typeof change.params?.trigger === 'string' ? parseTrigger(change.params.trigger) : undefined;
      this.#trigger = parsed && !('error' in parsed) ? parsed : undefined;
    });
    // Child processes exist only while the fault asks for them.
    state.onChange((change) => {
      if (change.name === 'blocking' && change.params?.mode !== 'child-process') this.#closeChildren(describeChange(change));
    });
  }

  /** Called for every lab route before its handler (after body parsing, so a body trigger can see the body). */
  async maybeBlock(route: RouteName, request: RequestInput): Promise<void> {
    const params = this.#state.get('blocking');
    if (!params?.routes.includes(route) || stopRequested(this.#stop)) return;
    const trigger = this.#trigger;
    if (trigger) {
      const matched = matchesTrigger(trigger, request);
      this.#countTrigger(trigger.source, matched);
      if (!matched) return;
    }
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
