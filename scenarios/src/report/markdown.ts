// report.md: the same content as the HTML report minus the charts, for terminals and PRs.
import { SIGNALS } from '../signals.js';
import {
  LEAD_HEADER,
  ALERT_HEADER,
  alertHeadline,
  alertRows,
  leadHeadline,
  leadRows,
  livenessText,
  observedText,
  phaseCell,
  probesText,
  rangeLegend,
  runLine,
  signalsWithData,
  statLabel,
  streamsText,
  togglesText,
  verdictText,
} from './format.js';
import type { Report } from './schema.js';

const cell = (text: string): string => text.replace(/\|/g, '\\|');

function table(header: string[], rows: string[][]): string {
  return [`| ${header.map(cell).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function renderMarkdown(report: Report): string {
  const out: string[] = [];
  out.push(`# ${report.scenario.title}: ${verdictText(report)}`);
  out.push('');
  out.push(report.scenario.description);
  out.push('');
  out.push(
    `Scenario \`${report.scenario.name}\`${report.scenario.quick ? ' (--quick)' : ''} from \`${report.scenario.source}\`, started ${report.startedAt}, against ${report.target.apiUrl}. ` +
      probesText(report),
  );
  out.push('');
  out.push(`Run: ${runLine(report)}.`);
  if (report.inconclusive) out.push('', `**Inconclusive (exit 2):** ${report.inconclusive}.`);
  if (report.error) out.push('', `Error: ${report.error}`);
  out.push('', '## Expectations', '');
  out.push(
    table(
      ['', 'expectation', 'observed', 'why'],
      report.expectations.map((e) => [e.passed ? 'pass' : 'FAIL', e.description, observedText(e), e.why ?? '']),
    ),
  );
  out.push('', '## Which signal moved first', '', leadHeadline(report), '');
  out.push(
    table(
      LEAD_HEADER,
      leadRows(report).map((r) => [r.label, r.threshold, r.firstCrossing, r.sustained, r.vsBreach, r.vsColdBreach, r.value]),
    ),
  );
  const alerts = alertHeadline(report);
  if (alerts) {
    out.push('', '## Would the alerts have fired?', '', alerts, '');
    if (alertRows(report).length > 0) out.push(table(ALERT_HEADER, alertRows(report)));
  }
  out.push('', '## Liveness probe', '', livenessText(report));
  out.push('', '## Phases', '');
  out.push(
    table(
      ['phase', 'time', 'faults', 'mitigations', 'load'],
      report.phases.map((p) => [
        p.name,
        `${p.startSeconds}–${p.startSeconds + p.durationSeconds} s`,
        togglesText(p.faults),
        togglesText(p.mitigations),
        streamsText(p),
      ]),
    ),
  );
  out.push('');
  const ids = signalsWithData(report);
  out.push(
    table(
      ['signal (phase summary)', ...report.phases.map((p) => p.name)],
      [
        ...ids.map((id) => [`${SIGNALS[id].label} (${statLabel(id)})`, ...report.phases.map((_, i) => phaseCell(report, i, id))]),
        ['warm probe requests (errors / timeouts)', ...report.phases.map((p) => `${p.clients.probe.requests} (${p.clients.probe.errors} / ${p.clients.probe.timeouts})`)],
        ['cold probe requests (errors / timeouts)', ...report.phases.map((p) => `${p.clients.cold.requests} (${p.clients.cold.errors} / ${p.clients.cold.timeouts})`)],
        ['ramp + pressure requests', ...report.phases.map((p) => String(p.clients.ramp.requests + p.clients.pressure.requests))],
      ],
    ),
  );
  out.push(
    '',
    `Phase summaries leave out the first settle second(s) of each phase. ${rangeLegend(report)}`,
    '',
    '## Notes',
    '',
  );
  for (const note of report.notes) out.push(`- ${note}`);
  out.push('');
  return out.join('\n');
}
