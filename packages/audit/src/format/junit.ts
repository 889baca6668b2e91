// JUnit XML for CI test tabs: one test case per (rule, target). A finding at or above --fail-on
// is a <failure>; one below it passes with the finding in <system-out>; a rule without data is
// <skipped> with the reason.

import { type AuditReport, failsRun } from '../report.js';
import { RULES } from '../rules.js';
import { formatInstant } from '@runtime-lab/values';
import { BANNER, checkAlertLines, evidenceOf, targetOf, whenOf } from './describe.js';

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function formatJunit(report: AuditReport): string {
  const cases: string[] = [];
  let failures = 0;
  for (const c of report.checks) {
    const open = `    <testcase classname="lab.audit.${c.rule}" name="${xml(`${c.alert} on ${targetOf(c)}`)}">`;
    const when = whenOf(c);
    const alerts =
      c.status === 'healthy'
        ? ''
        : checkAlertLines(c, report.alerts)
            .map((line) => `alert: ${line}\n`)
            .join('');
    const details = xml(
      `${evidenceOf(c)}\n${when ? `when: ${when}\n` : ''}${alerts}${report.source.kind === 'prometheus' ? 'query' : 'metrics'}: ${c.query}\nwhy: ${c.explanation}\nhint: ${c.hint}`,
    );
    if (c.status !== 'healthy' && failsRun(c, report.failOn)) {
      failures++;
      cases.push(
        `${open}\n      <failure type="${c.status}" message="${xml(`${BANNER[c.status]}: ${evidenceOf(c)}`)}">${details}</failure>\n    </testcase>`,
      );
    } else if (c.status !== 'healthy') {
      cases.push(
        `${open}\n      <system-out>${xml(`${BANNER[c.status]} (below --fail-on ${report.failOn})`)}\n${details}</system-out>\n    </testcase>`,
      );
    } else {
      cases.push(
        `${open}\n      <system-out>${xml(when ? `${evidenceOf(c)}\nwhen: ${when}` : evidenceOf(c))}</system-out>\n    </testcase>`,
      );
    }
  }
  for (const id of report.noData) {
    cases.push(
      `    <testcase classname="lab.audit.${id}" name="${xml(RULES[id].alert)}">\n      <skipped message="${xml(`no data: the source has no ${RULES[id].metrics}`)}"/>\n    </testcase>`,
    );
  }
  const total = report.checks.length + report.noData.length;
  const suite = xml(`lab audit (${report.source.kind} ${report.source.urls.join(', ')})`);
  // The suite's start (the audited window's, or the first scrape's), with its offset.
  const timestamp = formatInstant(report.source.startMs);
  const seconds = ((report.source.endMs - report.source.startMs) / 1000).toFixed(3);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="lab audit" tests="${total}" failures="${failures}" errors="0" skipped="${report.noData.length}">`,
    `  <testsuite name="${suite}" tests="${total}" failures="${failures}" errors="0" skipped="${report.noData.length}" timestamp="${timestamp}" time="${seconds}">`,
    `    <properties><property name="status" value="${BANNER[report.status]}"/><property name="fail-on" value="${report.failOn}"/><property name="window-start" value="${formatInstant(report.source.startMs)}"/><property name="window-end" value="${formatInstant(report.source.endMs)}"/>${alertProperties(report)}</properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** Which evaluator produced the alert times, and which alerts never fired, as suite properties. */
function alertProperties(report: AuditReport): string {
  const section = report.alerts;
  if (!section) return '';
  const evaluator = section.evaluated ? (section.evaluator ?? '') : (section.reason ?? '');
  return `<property name="alert-rules" value="${xml(section.ruleFiles.join(', '))}"/><property name="alert-evaluator" value="${xml(evaluator)}"/><property name="alerts-never-fired" value="${xml(section.neverFired.join(', '))}"/>`;
}
