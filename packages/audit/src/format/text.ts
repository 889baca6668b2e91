// The human report: a banner a CI log reader can spot, then one block per finding, then a line
// per healthy check so a pass still shows how close each signal came.

import { formatDuration } from '../duration.js';
import { type AuditReport, failsRun, findingsOf } from '../report.js';
import { RULES } from '../rules.js';
import { formatInstant } from '@runtime-lab/values';
import type { AlertsSection } from '../alert-timeline.js';
import { alertLine, BANNER, checkAlertLines, evidenceOf, targetOf, whenOf } from './describe.js';

export function formatText(report: AuditReport): string {
  const findings = findingsOf(report);
  const failing = findings.filter((f) => failsRun(f, report.failOn)).length;
  const lines: string[] = [];
  const counts =
    findings.length === 0
      ? 'no findings'
      : `${findings.length} finding${findings.length === 1 ? '' : 's'}, ${failing} at or above --fail-on ${report.failOn}`;
  lines.push(`lab audit: ${BANNER[report.status]} (${counts})`);
  lines.push(`  source      ${report.source.kind} ${report.source.urls.join(', ')}`);
  lines.push(`              ${report.source.detail}`);
  lines.push(`  window      ${formatInstant(report.source.startMs)} to ${formatInstant(report.source.endMs)}`);
  lines.push(`  thresholds  ${report.thresholdsFile}`);
  for (const f of findings) {
    lines.push('');
    lines.push(`${BANNER[f.status]}  ${f.alert} (${f.title}) on ${targetOf(f)}`);
    lines.push(`  evidence  ${evidenceOf(f)}`);
    lines.push(`  when      ${whenOf(f)}`);
    checkAlertLines(f, report.alerts).forEach((line, i) => {
      lines.push(`  ${i === 0 ? 'alerts  ' : '        '}  ${line}`);
    });
    lines.push(`  ${report.source.kind === 'prometheus' ? 'query   ' : 'metrics '}  ${f.query}`);
    lines.push(`  why       ${f.explanation}`);
    lines.push(`  hint      ${f.hint}`);
  }
  const healthy = report.checks.filter((c) => c.status === 'healthy');
  if (healthy.length > 0 || report.noData.length > 0 || report.disabled.length > 0) lines.push('');
  for (const c of healthy) {
    const when = whenOf(c);
    lines.push(`ok        ${c.alert} on ${targetOf(c)}: ${evidenceOf(c)}${when ? ` (${when})` : ''}`);
  }
  for (const id of report.noData) lines.push(`no data   ${RULES[id].alert}: the source has no ${RULES[id].metrics}`);
  for (const id of report.disabled) lines.push(`disabled  ${RULES[id].alert}`);
  if (report.alerts) lines.push('', ...alertSectionLines(report.alerts, report.source.startMs));
  lines.push('');
  lines.push(
    `audited ${formatDuration(Math.round((report.source.endMs - report.source.startMs) / 1000))} of data: ${report.status === 'healthy' ? 'runtime healthy' : `${BANNER[report.status].toLowerCase()} runtime`}; exit ${failing > 0 ? 1 : 0}`,
  );
  return `${lines.join('\n')}\n`;
}

/** The whole timeline: every alert that went pending, relative to the window's start, and what is known beside it. */
function alertSectionLines(section: AlertsSection, windowStartMs: number): string[] {
  const lines = [`alert timeline (times relative to the window's start): ${section.ruleFiles.join(', ')}`];
  if (!section.evaluated) return [...lines, `  ${section.reason}`];
  lines.push(`  evaluator   ${section.evaluator}`);
  for (const alert of section.alerts) lines.push(`  alert       ${alertLine(alert, windowStartMs)}`);
  if (section.neverFired.length > 0) lines.push(`  never fired ${section.neverFired.join(', ')}`);
  const recorded = section.recorded;
  if (recorded?.available) {
    lines.push(`  recorded    ${recorded.source}:`);
    for (const alert of recorded.alerts) lines.push(`              ${alertLine(alert, windowStartMs)}`);
    if (recorded.alerts.length === 0) lines.push('              none of them went pending in the window');
  } else if (recorded) {
    lines.push(`  recorded    ${recorded.reason}`);
  }
  for (const caveat of section.caveats) lines.push(`  note        ${caveat}`);
  return lines;
}
