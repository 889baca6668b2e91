// The liveness verdict: what a kubelet-style liveness probe sent during the run would have
// concluded. Kubernetes' HTTP probe opens a new connection each time, succeeds on a status
// 200–399 within timeoutSeconds, and restarts the container after failureThreshold failures in
// a row (liveness has no successThreshold other than 1). The attempts are real requests sent by
// the runner on that schedule; this only applies the kubelet's rule to them.
import type { Report } from '../report/schema.js';

export type LivenessVerdict = Report['liveness'];
export type LivenessAttempt = LivenessVerdict['attempts'][number];

export interface LivenessSettings {
  route: string;
  timeoutSeconds: number;
  periodSeconds: number;
  failureThreshold: number;
}

export const LIVENESS_DEFAULTS: LivenessSettings = { route: '/health', timeoutSeconds: 1, periodSeconds: 10, failureThreshold: 3 };

/**
 * `attempts` in any order (run seconds of the send, latency in ms, outcome). The restart time is
 * when the failureThreshold-th failure in a row was known: its send plus its latency (for a
 * timeout, the timeout).
 */
export function livenessVerdict(settings: LivenessSettings, attempts: LivenessAttempt[]): LivenessVerdict {
  const sorted = [...attempts].sort((a, b) => a.atSeconds - b.atSeconds);
  let run = 0;
  let maxRun = 0;
  let firstFailureSeconds: number | null = null;
  let restartSeconds: number | null = null;
  for (const a of sorted) {
    if (a.outcome === 'ok') {
      run = 0;
      continue;
    }
    firstFailureSeconds ??= a.atSeconds;
    run += 1;
    maxRun = Math.max(maxRun, run);
    if (run >= settings.failureThreshold && restartSeconds === null) restartSeconds = a.atSeconds + a.latencyMs / 1000;
  }
  return { ...settings, attempts: sorted, firstFailureSeconds, restartSeconds, maxConsecutiveFailures: maxRun };
}
