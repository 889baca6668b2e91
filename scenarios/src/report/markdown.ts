// report.md: the same content as the HTML report minus the charts, for terminals and PRs.
import * as format from './format.js';
import { heldTheLoopTable } from './held-the-loop.js';
import type { Report } from './schema.js';

const cell = (text: string): string => text.replace(/\|/g, '\\|');

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

export function renderMarkdown(report: Report): string {
  const out: string[] = [];
  out.push(`# ${report.scenario.title}: ${format.verdictText(report)}`);
  out.push('');
  out.push(report.scenario.description);
  out.push('');
  out.push(
    `Scenario \`${report.scenario.name}\`${report.scenario.quick ? ' (--quick)' : ''} from \`${report.scenario.source}\`, started ${report.startedAt}, against ${report.target.apiUrl}. ` +
      format.probesText(report),
  );
  out.push('');
  out.push(`Run: ${format.runLine(report)}.`);
  if (report.inconclusive) out.push('', `**Inconclusive (exit 2):** ${report.inconclusive}.`);
  if (report.error) out.push('', `Error: ${report.error}`);
  out.push('', '## Expectations', '');
  out.push(
    table(
      ['', 'expectation', 'observed', 'why'],
      report.expectations.map((e) => [e.passed ? 'pass' : 'FAIL', e.description, format.observedText(e), e.why ?? '']),
    ),
  );
  out.push('', '## Which signal moved first', '', format.leadHeadline(report), '');
  out.push(
    table(
      format.LEAD_HEADER,
      format.leadRows(report).map((r) => [r.label, r.threshold, r.firstCrossing, r.sustained, r.vsBreach, r.vsColdBreach, r.value]),
    ),
  );
  if (report.heldTheLoop) {
    const held = heldTheLoopTable(report.heldTheLoop);
    out.push('', '## What held the loop', '', held.intro);
    if (held.rows.length > 0) out.push('', table(held.header, held.rows));
  }
  const alerts = format.alertHeadline(report);
  if (alerts) {
    out.push('', '## Would the alerts have fired?', '', alerts, '');
    if (format.alertRows(report).length > 0) out.push(table(format.ALERT_HEADER, format.alertRows(report)));
  }
  out.push('', '## Liveness probe', '', format.livenessText(report));
  out.push('', '## Phases', '');
  out.push(table(format.PHASE_HEADER, format.phaseRows(report)));
  const streamRows = format.streamResultRows(report);
  if (streamRows.length > 0) {
    out.push(
      '',
      '### Load streams',
      '',
      table(format.STREAM_RESULT_HEADER, streamRows),
      '',
      'Open-loop streams (rate, burst, ramp) are timed from each request’s intended send time; pressure from the send.',
    );
  }
  out.push('');
  out.push(
    table(
      ['signal (phase summary)', ...report.phases.map((p) => p.name)],
      format.summaryRows(report).map((r) => [r.stat ? `${r.label} (${r.stat})` : r.label, ...r.cells]),
    ),
  );
  out.push('', `Phase summaries leave out the first settle second(s) of each phase. ${format.rangeLegend(report)}`, '', '## Notes', '');
  for (const note of report.notes) out.push(`- ${note}`);
  out.push('');
  return out.join('\n');
}
