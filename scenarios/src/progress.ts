// Live progress while a run lasts: phase, elapsed/total, probe P99 and loop delay now. On a
// terminal one line is redrawn in place; elsewhere (a pipe, CI=true) a plain line is written
// every few seconds and at each phase change, so logs stay readable.

export interface ProgressState {
  phase: string;
  elapsedSeconds: number;
  totalSeconds: number;
  probeP99Seconds: number | null;
  loopDelaySeconds: number | null;
  faults: string[];
}

const PLAIN_EVERY_SECONDS = 5;

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
    const line =
      `[${state.phase}] ${Math.floor(state.elapsedSeconds)}/${state.totalSeconds} s  ` +
      `probe P99 ${ms(state.probeP99Seconds)}  loop delay ${ms(state.loopDelaySeconds)}` +
      (state.faults.length ? `  faults: ${state.faults.join(', ')}` : '');
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
