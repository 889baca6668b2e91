// The report's alert timeline: each alert rule's pending → firing → resolved episodes, as
// Prometheus's rule engine evaluated them over the run's scrapes (@runtime-lab/scrape's
// evaluateAlertTimeline), placed against the fault onset and both populations' SLO breaches.
import { type AlertTimeline, alertNamesIn, evaluateAlertTimeline, type Families } from '@runtime-lab/scrape';
import type { Report } from '../report/schema.js';

export type AlertsSection = NonNullable<Report['alerts']>;

/** Seconds `at` − `reference`, null when either is missing. */
function relative(at: number | null, reference: number | null): number | null {
  return at === null || reference === null ? null : at - reference;
}

/** Places evaluated episodes on the run's reference points (onset, warm and cold SLO breach). */
export function alertsSection(
  timeline: AlertTimeline,
  ruleFiles: readonly string[],
  reference: Report['leadTimeReference'],
  costSeconds: number,
  startMs: number,
): AlertsSection {
  const runTimeZero = new Date(startMs).toISOString();
  if (!timeline.evaluated)
    return {
      evaluated: false,
      evaluator: null,
      reason: timeline.reason,
      ruleFiles: [...ruleFiles],
      runTimeZero,
      alerts: [],
      neverPending: [],
    };
  const onset = reference.onsetPhase === null ? null : reference.onsetSeconds;
  const seen = new Set(timeline.alerts.map((a) => a.alertname));
  return {
    evaluated: true,
    runTimeZero,
    neverPending: alertNamesIn(ruleFiles).filter((name) => !seen.has(name)),
    evaluator: timeline.evaluator,
    ruleFiles: [...ruleFiles],
    evaluationIntervalSeconds: timeline.intervalSeconds,
    evaluationSeconds: costSeconds,
    alerts: timeline.alerts.map((alert) => {
      const first = alert.episodes[0];
      const firing = alert.episodes.find((e) => e.firingAtSeconds !== null);
      const firingAt = firing?.firingAtSeconds ?? null;
      return {
        alertname: alert.alertname,
        labels: alert.labels,
        episodes: alert.episodes,
        fired: firingAt !== null,
        firstPendingSeconds: first?.pendingAtSeconds ?? null,
        firstFiringSeconds: firingAt,
        pendingAfterOnsetSeconds: relative(first?.pendingAtSeconds ?? null, onset),
        firingAfterOnsetSeconds: relative(firingAt, onset),
        firingRelativeToSloBreachSeconds: relative(firingAt, reference.sloBreachSeconds),
        firingRelativeToColdSloBreachSeconds: relative(firingAt, reference.coldSloBreachSeconds),
      };
    }),
  };
}

/**
 * Evaluates `ruleFiles` over the run's scrapes (epoch ms, from the run's start), as if Prometheus
 * had scraped the watchdog port as job `job` every second. Never throws: a failure is the reason.
 */
export async function evaluateRunAlerts(
  scrapes: readonly { atMs: number; families: Families; up: boolean }[],
  startMs: number,
  ruleFiles: readonly string[],
  targetLabels: Record<string, string>,
  reference: Report['leadTimeReference'],
): Promise<AlertsSection> {
  const started = performance.now();
  const timed = scrapes
    .filter((s) => s.atMs >= startMs)
    .map((s) => ({ atSeconds: (s.atMs - startMs) / 1000, families: s.families, up: s.up }));
  const timeline = await evaluateAlertTimeline(timed, { ruleFiles, targetLabels }).catch(
    (error: unknown): AlertTimeline => ({
      evaluated: false,
      reason: `alerts not evaluated: ${error instanceof Error ? error.message : String(error)}`,
    }),
  );
  return alertsSection(timeline, ruleFiles, reference, (performance.now() - started) / 1000, startMs);
}
