// Collects the service's attributed stalls (GET /stalls on its watchdog port, served from the
// watchdog thread, so it answers during a stall) every few seconds and once at the end. The
// watchdog keeps only its most recent stalls, so polling during the run is what keeps the early
// ones; a stall is identified by its start time and frame.

/**
 * One stall as GET /stalls lists it (the telemetry plugin's AttributedStall): only the fields the
 * report reads. The runner works against any service, so it does not depend on the plugin.
 */
export interface StallRecord {
  /** Wall-clock time of the last heartbeat before the stall (ISO 8601). */
  startedAt: string;
  durationSeconds: number;
  /** 'function (file:line)' of the frame the stall is attributed to; null when none was captured. */
  label: string | null;
}

interface StallsAnswer {
  enabled: boolean;
  reason?: string;
  thresholdMs: number;
  recent: StallRecord[];
}

function isStallRecord(value: unknown): value is StallRecord {
  const v = value as Partial<StallRecord> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.startedAt === 'string' &&
    typeof v.durationSeconds === 'number' &&
    (typeof v.label === 'string' || v.label === null)
  );
}

export interface CollectedStalls {
  /** false when the service does not attribute stalls; `note` says why. */
  available: boolean;
  note?: string;
  thresholdMs: number | null;
  stalls: StallRecord[];
}

const POLL_INTERVAL_MS = 2000;
const FETCH_TIMEOUT_MS = 900;

export class StallCollector {
  readonly #url: string;
  readonly #byKey = new Map<string, StallRecord>();
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #thresholdMs: number | null = null;
  #unavailable: string | undefined;
  #answered = false;
  #newestMs: number | undefined;

  /** `metricsUrl` is the watchdog's /metrics URL; /stalls is read from the same origin. */
  constructor(metricsUrl: string) {
    this.#url = new URL('/stalls', metricsUrl).href;
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.#inFlight ??= this.#poll().finally(() => (this.#inFlight = undefined));
    }, POLL_INTERVAL_MS);
  }

  async stop(): Promise<CollectedStalls> {
    clearInterval(this.#timer);
    await this.#inFlight;
    await this.#poll();
    if (!this.#answered || this.#unavailable !== undefined) {
      return { available: false, note: this.#unavailable ?? `${this.#url} never answered`, thresholdMs: null, stalls: [] };
    }
    const stalls = [...this.#byKey.values()].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
    return { available: true, thresholdMs: this.#thresholdMs, stalls };
  }

  async #poll(): Promise<void> {
    try {
      // Only what is new since the last poll: the list can hold hundreds of stalls, and parsing
      // it all every 2 s would cost the runner's own schedule.
      const url = this.#newestMs === undefined ? this.#url : `${this.#url}?since=${this.#newestMs}`;
      const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      if (response.status === 404) {
        this.#answered = true;
        this.#unavailable = `the service does not attribute stalls (${this.#url} answered 404)`;
        return;
      }
      if (!response.ok) return;
      const snapshot = (await response.json()) as StallsAnswer;
      if (typeof snapshot !== 'object' || snapshot === null || !Array.isArray(snapshot.recent)) return;
      this.#answered = true;
      this.#thresholdMs = snapshot.thresholdMs;
      this.#unavailable = snapshot.enabled ? undefined : `stall attribution is off in the service: ${snapshot.reason ?? 'no reason given'}`;
      for (const stall of snapshot.recent.filter(isStallRecord)) {
        this.#byKey.set(`${stall.startedAt} ${stall.label}`, stall);
        this.#newestMs = Math.max(this.#newestMs ?? 0, Date.parse(stall.startedAt));
      }
    } catch {
      // A missed poll loses nothing unless more stalls than the watchdog keeps happen before the next.
    }
  }
}
