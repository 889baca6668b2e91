// The audit's result, independent of the source and of the output format.

import type { AlertsSection } from './alert-timeline.js';
import { type Check, evaluateSeries, type Series, type Severity, STATUS_ORDER, type Status, sortChecks, worstStatus } from './evaluate.js';
import { RULE_IDS, type RuleId } from './rules.js';
import type { Thresholds } from './thresholds.js';

export interface SourceInfo {
  kind: 'prometheus' | 'metrics';
  /** The Prometheus base URL, or every scraped metrics URL. */
  urls: string[];
  /** One line on what was read, e.g. "11 scrapes over 10s, every 1s". */
  detail: string;
  startMs: number;
  endMs: number;
}

export interface AuditReport {
  status: Status;
  failOn: Severity;
  source: SourceInfo;
  thresholdsFile: string;
  /** Every judged (rule, target) pair, findings first. */
  checks: Check[];
  /** Enabled rules for which the source had no series at all. */
  noData: RuleId[];
  /** Rules switched off in the thresholds file. */
  disabled: RuleId[];
  /** The alert rules' timeline over the window (absent when not asked for, e.g. in unit tests). */
  alerts?: AlertsSection;
}

export function buildReport(
  series: Series[],
  thresholds: Thresholds,
  source: SourceInfo,
  failOn: Severity,
  alerts?: AlertsSection,
): AuditReport {
  const checks = sortChecks(series.map((s) => evaluateSeries(s, thresholds)));
  const enabled = RULE_IDS.filter((id) => thresholds.rules[id].enabled);
  return {
    status: worstStatus(checks),
    failOn,
    source,
    thresholdsFile: thresholds.file,
    checks,
    noData: enabled.filter((id) => !checks.some((c) => c.rule === id && c.points > 0)),
    disabled: RULE_IDS.filter((id) => !thresholds.rules[id].enabled),
    ...(alerts ? { alerts } : {}),
  };
}

export function findingsOf(report: AuditReport): Check[] {
  return report.checks.filter((c) => c.status !== 'healthy');
}

/** Whether a check is at or above the severity that fails the run. */
export function failsRun(check: Check, failOn: Severity): boolean {
  return STATUS_ORDER[check.status] >= STATUS_ORDER[failOn];
}

/** 0 when nothing reaches --fail-on, 1 otherwise (2 is for errors, decided by the CLI). */
export function exitCodeFor(report: AuditReport): 0 | 1 {
  return report.checks.some((c) => failsRun(c, report.failOn)) ? 1 : 0;
}
