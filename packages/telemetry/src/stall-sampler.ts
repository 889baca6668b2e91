// Watchdog-worker side of stall attribution: watches the main thread's heartbeat, and while a
// stall lasts longer than the threshold, captures the main thread's JavaScript stack through an
// inspector session on the main thread (no port is opened; only the process's main thread is
// reachable this way). A stall is listed (GET /stalls on the watchdog port) as soon as its
// first stack is captured, and reported to the main thread once it ends.
// Dependency-free (node: builtins and local modules that are): loaded inside the worker.
import type { Session } from 'node:inspector';
import { attributedFrame, captureExpression, frameLabel, framesFromResult, type StallFrame, toStallFrame } from './stall-capture.js';
import { mapFrame } from './source-maps.js';

export interface StallAttributionConfig {
  /** A stall is attributed once the heartbeat is older than this. */
  thresholdMs: number;
  /** Frames kept per capture (innermost first). */
  maxFrames: number;
  /** Stacks captured per stall: one at the threshold, then one per thresholdMs while it lasts. */
  maxSamplesPerStall: number;
  /** Finished stalls kept for GET /stalls. */
  recentStalls: number;
}

/** One attributed stall, as GET /stalls lists it and the main thread logs and counts it. */
export interface AttributedStall {
  /** Wall-clock time of the main thread's last heartbeat before the stall (ISO 8601). */
  startedAt: string;
  ongoing: boolean;
  /** Heartbeat gap: so far while ongoing, final once ended (includes < 1 heartbeat period of idle). */
  durationSeconds: number;
  /** From the last heartbeat to the first stack received (threshold + delivery); null if none. */
  firstStackAfterMs: number | null;
  /** The frame the stall is attributed to (see attributedFrame): the most frequent across samples. */
  frame: StallFrame | null;
  /** frameLabel(frame): the metric's label value before top-N folding. */
  label: string | null;
  /** The first capture's frames, innermost first. */
  frames: StallFrame[];
  /** Stacks captured with JavaScript on them / capture requests sent. */
  samples: number;
  requests: number;
  /** Why `frame` is null, when it is. */
  note?: string;
}

/** The body of GET /stalls on the watchdog port. */
export interface StallsSnapshot {
  /** false when the runtime refused the inspector session (reason says why). */
  enabled: boolean;
  reason?: string;
  thresholdMs: number;
  /** The stall in progress, once it passed the threshold. */
  ongoing: AttributedStall | null;
  /** Finished stalls, newest first. */
  recent: AttributedStall[];
}

export type SamplerEvent =
  | { type: 'attribution-on'; thresholdMs: number }
  | { type: 'attribution-off'; reason: string }
  | { type: 'stall'; stall: AttributedStall };

interface Ongoing {
  beatNs: bigint;
  startedAtMs: number;
  nextSampleNs: bigint;
  requests: number;
  pending: number;
  ended: boolean;
  endBeatNs: bigint;
  firstStackNs: bigint | undefined;
  frames: StallFrame[];
  counts: Map<string, { frame: StallFrame; count: number }>;
}

const NO_STACK_NOTE =
  'no JavaScript was on the stack when the capture ran: native code held the loop without ' +
  'returning to JavaScript until the stall ended, or the capture arrived after it';
// A capture that has not answered by then is given up (the main thread may be in native code
// for longer than that); its answer, if any, is ignored.
const CAPTURE_TIMEOUT_MS = 2000;

export class StallSampler {
  readonly #config: StallAttributionConfig;
  readonly #heartbeat: BigInt64Array;
  readonly #emit: (event: SamplerEvent) => void;
  readonly #expression: string;
  readonly #pollMs: number;
  readonly #cwd = process.cwd();
  #session: Session | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ongoing: Ongoing | undefined;
  #offReason: string | undefined = 'starting';
  readonly #recent: AttributedStall[] = [];

  constructor(config: StallAttributionConfig, heartbeat: BigInt64Array, emit: (event: SamplerEvent) => void) {
    this.#config = config;
    this.#heartbeat = heartbeat;
    this.#emit = emit;
    this.#expression = captureExpression(config.maxFrames);
    // Polling at a quarter of the threshold notices a stall within 25 % of it.
    this.#pollMs = Math.max(5, Math.min(50, Math.floor(config.thresholdMs / 4)));
  }

  /** Opens the session; on a runtime without the inspector, reports attribution-off and stays idle. */
  async start(): Promise<void> {
    try {
      const inspector = await import('node:inspector');
      const session = new inspector.Session();
      session.connectToMainThread();
      this.#session = session;
    } catch (error) {
      this.#offReason = `the inspector is not available: ${(error as Error).message}`;
      this.#emit({ type: 'attribution-off', reason: this.#offReason });
      return;
    }
    this.#offReason = undefined;
    this.#timer = setInterval(() => this.#poll(), this.#pollMs);
    this.#emit({ type: 'attribution-on', thresholdMs: this.#config.thresholdMs });
  }

  /** What GET /stalls serves: the ongoing stall (if any) and the recent ones, newest first. */
  snapshot(sinceMs?: number): StallsSnapshot {
    const ongoing = this.#ongoing && !this.#ongoing.ended ? this.#record(this.#ongoing, process.hrtime.bigint()) : null;
    const state = this.#offReason === undefined ? { enabled: true } : { enabled: false, reason: this.#offReason };
    const recent = sinceMs === undefined ? [...this.#recent] : this.#recent.filter((s) => Date.parse(s.startedAt) > sinceMs);
    return { ...state, thresholdMs: this.#config.thresholdMs, ongoing, recent };
  }

  #poll(): void {
    const now = process.hrtime.bigint();
    const beat = Atomics.load(this.#heartbeat, 0);
    const ongoing = this.#ongoing;
    if (ongoing && !ongoing.ended) {
      if (beat !== ongoing.beatNs) {
        ongoing.ended = true;
        ongoing.endBeatNs = beat;
        this.#finishIfSettled(ongoing);
      } else if (ongoing.requests < this.#config.maxSamplesPerStall && now >= ongoing.nextSampleNs) {
        this.#capture(ongoing, now);
      }
      return;
    }
    if (ongoing) return; // ended, waiting for a capture's answer
    if (Number(now - beat) / 1e6 < this.#config.thresholdMs) return;
    const started: Ongoing = {
      beatNs: beat,
      startedAtMs: Date.now() - Number(now - beat) / 1e6,
      nextSampleNs: now,
      requests: 0,
      pending: 0,
      ended: false,
      endBeatNs: beat,
      firstStackNs: undefined,
      frames: [],
      counts: new Map(),
    };
    this.#ongoing = started;
    this.#capture(started, now);
  }

  #capture(ongoing: Ongoing, now: bigint): void {
    const session = this.#session;
    if (!session) return;
    ongoing.requests++;
    ongoing.pending++;
    ongoing.nextSampleNs = now + BigInt(this.#config.thresholdMs) * 1_000_000n;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      ongoing.pending--;
      this.#finishIfSettled(ongoing);
    };
    const timeout = setTimeout(settle, CAPTURE_TIMEOUT_MS);
    session.post('Runtime.evaluate', { expression: this.#expression, returnByValue: true, silent: true }, (error, result) => {
      if (settled) return;
      const receivedNs = process.hrtime.bigint();
      const raw = error ? undefined : framesFromResult(result?.result?.value);
      if (!raw || raw.length === 0) {
        settle();
        return;
      }
      void Promise.all(raw.slice(0, this.#config.maxFrames).map((frame) => mapFrame(toStallFrame(frame)))).then((frames) => {
        if (settled) return;
        ongoing.firstStackNs ??= receivedNs;
        if (ongoing.frames.length === 0) ongoing.frames = frames;
        const frame = attributedFrame(frames);
        if (frame) {
          const label = frameLabel(frame, this.#cwd);
          const seen = ongoing.counts.get(label);
          if (seen) seen.count++;
          else ongoing.counts.set(label, { frame, count: 1 });
        }
        settle();
      });
    });
  }

  #finishIfSettled(ongoing: Ongoing): void {
    if (!ongoing.ended || ongoing.pending > 0 || this.#ongoing !== ongoing) return;
    this.#ongoing = undefined;
    const stall = this.#record(ongoing, ongoing.endBeatNs);
    this.#recent.unshift(stall);
    this.#recent.length = Math.min(this.#recent.length, this.#config.recentStalls);
    this.#emit({ type: 'stall', stall });
  }

  #record(ongoing: Ongoing, untilNs: bigint): AttributedStall {
    let best: { frame: StallFrame; count: number; label: string } | undefined;
    let samples = 0;
    for (const [label, entry] of ongoing.counts) {
      samples += entry.count;
      if (!best || entry.count > best.count) best = { ...entry, label };
    }
    const stall: AttributedStall = {
      startedAt: new Date(ongoing.startedAtMs).toISOString(),
      ongoing: !ongoing.ended,
      durationSeconds: Number(untilNs - ongoing.beatNs) / 1e9,
      firstStackAfterMs: ongoing.firstStackNs === undefined ? null : Number(ongoing.firstStackNs - ongoing.beatNs) / 1e6,
      frame: best?.frame ?? null,
      label: best?.label ?? null,
      frames: ongoing.frames,
      samples,
      requests: ongoing.requests,
    };
    if (!best && (ongoing.ended || ongoing.pending === 0)) stall.note = NO_STACK_NOTE;
    return stall;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#session?.disconnect();
    this.#session = undefined;
  }
}
