// Live progress while a run lasts: phase, elapsed/total, warm and cold probe P99 over the last
// 3 s, the live stall and the loop-delay max gauge (a max over its window). On a
// terminal one line is redrawn in place; elsewhere (a pipe, CI=true) a plain line is written
// every few seconds and at each phase change, so logs stay readable.

export interface ProgressState {
  phase: string;
  elapsedSeconds: number;
  totalSeconds: number;
  /** Warm probe P99 over the last few seconds (see RECENT_SECONDS in run.ts). */
  probeP99Seconds: number | null;
  coldProbeP99Seconds: number | null;
  /** Seconds the probe P99s cover. */
  recentSeconds: number;
  /** runtime_eventloop_stall_seconds: how long the loop has been stalled right now. */
  loopStallSeconds: number | null;
  /** runtime_eventloop_delay_max_seconds: the longest delay within its window. */
  loopDelayMaxSeconds: number | null;
  /** That window (s), when the service says it. */
  loopDelayMaxWindowSeconds: number | null;
  faults: string[];
}

const PLAIN_EVERY_SECONDS = 5;

export function progressLine(state: ProgressState): string {
  return (
    `[${state.phase}] ${Math.floor(state.elapsedSeconds)}/${state.totalSeconds} s  ` +
    `P99 last ${state.recentSeconds} s: warm ${ms(state.probeP99Seconds)}, cold ${ms(state.coldProbeP99Seconds)}  ` +
    `stall now ${ms(state.loopStallSeconds)}  loop delay max (${state.loopDelayMaxWindowSeconds === null ? 'its window' : `last ${state.loopDelayMaxWindowSeconds} s`}) ${ms(state.loopDelayMaxSeconds)}` +
    (state.faults.length ? `  faults: ${state.faults.join(', ')}` : '')
  );
}

const ms = (seconds: number | null): string => (seconds === null ? '–' : `${Math.round(seconds * 1000)} ms`);

export class Progress {
  private readonly live: boolean;
  private lastPlain = Number.NEGATIVE_INFINITY;
  private lastPhase = '';
  private drawn = false;

  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean }) {
    this.live = Boolean(out.isTTY) && process.env.CI !== 'true' && process.env.TERM !== 'dumb';
  }

  update(state: ProgressState): void {
    const line = progressLine(state);
    if (this.live) {
      this.out.write(`\r\x1b[2K${line}`);
      this.drawn = true;
      return;
    }
    const phaseChanged = state.phase !== this.lastPhase;
    if (phaseChanged || state.elapsedSeconds - this.lastPlain >= PLAIN_EVERY_SECONDS) {
      this.out.write(`${line}\n`);
      this.lastPlain = state.elapsedSeconds;
      this.lastPhase = state.phase;
    }
  }

  /** Leaves the cursor on a fresh line before anything else is printed. */
  end(): void {
    if (this.live && this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
