// Machine-readable report. Non-finite numbers become null (JSON has no NaN or Infinity); times
// are RFC 3339 in UTC (with Z), epoch milliseconds stay beside them in source.

import type { AuditReport } from '../report.js';
import { exitCodeFor, findingsOf } from '../report.js';
import { formatInstant } from '@runtime-lab/values';
import { evidenceOf, targetOf, timesOf } from './describe.js';

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
  };
  return `${JSON.stringify(out, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}
