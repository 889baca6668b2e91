// Load for measurements. The probe is open-loop: requests go out on a fixed schedule and
// latency counts from the *intended* send time, so a stall shows its full cost (no
// coordinated omission). Pressure is closed-loop: N connections, each sending its next request
// when the previous answered.
import { send } from './http.js';

export interface ProbeResult {
  /** Latency from the intended send time, ms, one per request, in send order. */
  latenciesMs: number[];
  errors: number;
}

export async function openLoopProbe(url: string, ratePerSecond: number, durationMs: number): Promise<ProbeResult> {
  const intervalMs = 1000 / ratePerSecond;
  const count = Math.floor(durationMs / intervalMs);
  const start = performance.now();
  const latenciesMs: number[] = [];
  let errors = 0;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const intended = start + i * intervalMs;
    const waitMs = intended - performance.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    inflight.push(
      send(url, { timeoutMs: 30_000 }).then(
        (r) => {
          if (r.status >= 400) errors++;
          latenciesMs[i] = performance.now() - intended;
        },
        () => {
          errors++;
          latenciesMs[i] = performance.now() - intended;
        },
      ),
    );
  }
  await Promise.all(inflight);
  return { latenciesMs, errors };
}

export interface PressureResult {
  requests: number;
  byStatus: Record<string, number>;
  /** Retry-After header values seen on 503s. */
  retryAfter: string[];
  latenciesMs: number[];
}

export interface PressureOptions {
  connections: number;
  durationMs: number;
  method?: string;
  body?: string;
  /** Stops the pressure early; requests in flight are aborted (and counted as 'error'). */
  signal?: AbortSignal;
  /** Per request. Default 30 s. */
  timeoutMs?: number;
  /** A lane pauses this long after an error or a status >= 400 (a shed request answers at once: no busy loop). Default 0. */
  pauseAfterFailureMs?: number;
}

export async function closedLoop(url: string, options: PressureOptions): Promise<PressureResult> {
  const end = performance.now() + options.durationMs;
  const result: PressureResult = { requests: 0, byStatus: {}, retryAfter: [], latenciesMs: [] };
  const lane = async () => {
    while (performance.now() < end && !options.signal?.aborted) {
      const started = performance.now();
      let status = 'error';
      try {
        const r = await send(url, {
          method: options.method ?? 'GET',
          ...(options.body === undefined ? {} : { body: options.body }),
          ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        status = String(r.status);
        if (r.status === 503 && typeof r.headers['retry-after'] === 'string') result.retryAfter.push(r.headers['retry-after']);
      } catch {
        // counted as 'error'
      }
      result.requests++;
      result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
      result.latenciesMs.push(performance.now() - started);
      const failed = status === 'error' || Number(status) >= 400;
      if (failed && options.pauseAfterFailureMs && !options.signal?.aborted)
        await new Promise((resolve) => setTimeout(resolve, options.pauseAfterFailureMs));
    }
  };
  await Promise.all(Array.from({ length: options.connections }, lane));
  return result;
}

/** Nearest-rank quantile of raw samples; NaN when empty. */
export function quantile(values: number[], q: number): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}
