// How a kubelet judges an HTTP probe, for running the manifests' probe settings against real
// processes where no cluster can run. A probe succeeds when a response with a status from 200
// to 399 arrives within timeoutSeconds, on a fresh connection (the kubelet does not keep
// connections alive between probes). The container is restarted (liveness) or taken out of its
// Services (readiness) after failureThreshold consecutive failures, one every periodSeconds.
import { request } from 'node:http';

export interface ProbeSample {
  /** When the probe was sent, in ms on the caller's clock. */
  sentMs: number;
  ok: boolean;
  /** HTTP status, or the error (e.g. "timeout", "ECONNREFUSED"). */
  outcome: number | string;
}

/** One kubelet-style HTTP GET probe; never rejects. */
export function probeOnce(url: string, timeoutMs: number, now: () => number = () => performance.now()): Promise<ProbeSample> {
  const sentMs = now();
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutMs, headers: { 'user-agent': 'kube-probe (runtime-lab)' } }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        resolve({ sentMs, ok: status >= 200 && status < 400, outcome: status });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ sentMs, ok: false, outcome: error.code ?? error.message }));
    req.end();
  });
}

export interface ProbeRule {
  periodSeconds: number;
  failureThreshold: number;
}

/**
 * Given probes sampled more often than the kubelet would send them, the earliest time (sentMs
 * of the last probe of the run) at which a kubelet with this period, whatever its phase, would
 * have seen failureThreshold consecutive failures; undefined when no phase trips. A sample
 * stands for a kubelet probe when it was sent within half the sampling step of that moment.
 */
export function firstTrip(samples: ProbeSample[], rule: ProbeRule, stepMs: number): number | undefined {
  const sorted = [...samples].sort((a, b) => a.sentMs - b.sentMs);
  const periodMs = rule.periodSeconds * 1000;
  const near = (t: number): ProbeSample | undefined => sorted.find((s) => Math.abs(s.sentMs - t) <= stepMs / 2);
  let earliest: number | undefined;
  for (const start of sorted) {
    let trippedAt: number | undefined = start.sentMs;
    for (let i = 0; i < rule.failureThreshold; i++) {
      const sample = near(start.sentMs + i * periodMs);
      if (!sample || sample.ok) {
        trippedAt = undefined;
        break;
      }
      trippedAt = sample.sentMs;
    }
    if (trippedAt !== undefined && (earliest === undefined || trippedAt < earliest)) earliest = trippedAt;
  }
  return earliest;
}
