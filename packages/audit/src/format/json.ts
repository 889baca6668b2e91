// Machine-readable report. Non-finite numbers become null (JSON has no NaN or Infinity); times
// are RFC 3339 in UTC (with Z), epoch milliseconds stay beside them in source.

import type { AuditReport } from '../report.js';
import { exitCodeFor, findingsOf } from '../report.js';
import { formatInstant } from '@runtime-lab/values';
import type { AlertSeries, AlertsSection } from '../alert-timeline.js';
import type { Check } from '../evaluate.js';
import { alertsOfCheck, episodeTimes, evidenceOf, targetOf, timesOf } from './describe.js';

export function formatJson(report: AuditReport): string {
  const checks = report.checks.map((c) => ({
    rule: c.rule,
    alert: c.alert,
    title: c.title,
    target: targetOf(c),
    labels: c.labels,
    status: c.status,
    value: c.peak,
    threshold: c.threshold,
    heldSeconds: c.heldSeconds,
    ...timesOf(c),
    forSeconds: c.forSeconds,
    reached: c.reached,
    points: c.points,
    evidence: evidenceOf(c),
    query: c.query,
    explanation: c.explanation,
    hint: c.hint,
    heldBy: c.heldBy ?? null,
    ...(report.alerts ? { alerts: checkAlertsJson(c, report.alerts) } : {}),
  }));
  const out = {
    status: report.status,
    exitCode: exitCodeFor(report),
    failOn: report.failOn,
    source: { ...report.source, start: formatInstant(report.source.startMs), end: formatInstant(report.source.endMs) },
    thresholdsFile: report.thresholdsFile,
    findings: checks.filter((c) => c.status !== 'healthy'),
    checks,
    noData: report.noData,
    disabled: report.disabled,
    findingCount: findingsOf(report).length,
    ...(report.alerts ? { alerts: alertsJson(report.alerts, report.source.startMs) } : {}),
  };
  return `${JSON.stringify(out, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}

function seriesJson(alert: AlertSeries, fromMs: number | undefined) {
  return {
    alertname: alert.alertname,
    labels: alert.labels,
    fired: alert.episodes.some((e) => e.firingAtMs !== null),
    episodes: alert.episodes.map((e) => episodeTimes(e, fromMs)),
  };
}

/** A check's alerts, times relative to the finding's start (null for a check that never held a level). */
function checkAlertsJson(check: Check, section: AlertsSection) {
  const mine = alertsOfCheck(check, section.alerts);
  return {
    evaluated: section.evaluated,
    fired: mine.some((a) => a.episodes.some((e) => e.firingAtMs !== null)),
    series: mine.map((a) => seriesJson(a, check.held ? check.held.startS * 1000 : undefined)),
  };
}

/** The whole timeline, times relative to the window's start ("AfterStart" = after the window's start here). */
function alertsJson(section: AlertsSection, windowStartMs: number) {
  const recorded = section.recorded;
  return {
    evaluated: section.evaluated,
    evaluator: section.evaluator,
    reason: section.reason ?? null,
    ruleFiles: section.ruleFiles,
    evaluationIntervalSeconds: section.intervalSeconds ?? null,
    evaluatedFrom: formatInstant(section.evaluatedFromMs),
    series: section.alerts.map((a) => seriesJson(a, windowStartMs)),
    neverFired: section.neverFired,
    caveats: section.caveats,
    recorded:
      recorded === undefined
        ? null
        : recorded.available
          ? {
              available: true,
              source: recorded.source,
              intervalSeconds: recorded.intervalSeconds,
              loaded: recorded.loaded,
              series: recorded.alerts.map((a) => seriesJson(a, windowStartMs)),
            }
          : { available: false, reason: recorded.reason },
  };
}
