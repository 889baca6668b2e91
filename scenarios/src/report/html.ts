// report.html: one self-contained file (inline CSS and SVG, no script, no network), so it
// opens offline from disk and can be attached to an incident ticket as it is.
import { SIGNALS, type SignalId, formatSignal } from '../signals.js';
import * as format from './format.js';
import { heldTheLoopTable } from './held-the-loop.js';
import type { Report } from './schema.js';
import { type ChartLine, type ChartOptions, lineChart } from './svg-chart.js';

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLORS: Record<SignalId, string> = {
  probeP99: '#d62728',
  coldProbeP99: '#8b0000',
  rampP99: '#ff7f0e',
  pressureP99: '#9467bd',
  serverP99: '#2ca02c',
  loopDelayP99: '#1f77b4',
  loopDelayMax: '#17becf',
  loopStall: '#e377c2',
  elu: '#8c564b',
  poolQueue: '#bcbd22',
  threadpoolCanary: '#7f7f7f',
  backlog: '#ff9896',
  errorRate: '#000000',
};

/** A signal's line; for bucket figures the band between the bucket bounds, the line on its upper bound (or lower, when unbounded). */
function line(report: Report, id: SignalId, dashed = false): ChartLine {
  const upper = report.series[id] as (number | null)[];
  const lower = report.series.lowerBounds[id];
  const values = lower ? upper.map((v, t) => v ?? lower[t] ?? null) : upper;
  return { label: SIGNALS[id].label, color: COLORS[id], values, dashed, ...(lower ? { band: { lower, upper } } : {}) };
}

function has(report: Report, id: SignalId): boolean {
  return (
    (report.series[id] as (number | null)[]).some((v) => v !== null) || (report.series.lowerBounds[id]?.some((v) => v !== null) ?? false)
  );
}

function canaryThreshold(report: Report): number {
  return report.leadTimes.find((r) => r.signal === 'threadpoolCanary')?.threshold ?? SIGNALS.threadpoolCanary.defaultThreshold;
}

/** The report's charts as data (title, lines, thresholds), before drawing: what each line shows is checked in tests. */
/** One line per distinct threshold of the streams' lead-time rows, naming the streams it is the SLO of. */
function streamSloLines(report: Report): { value: number; label: string }[] {
  const byValue = new Map<number, string[]>();
  for (const r of report.streamLeadTimes ?? []) {
    if (r.stream !== undefined && r.hasData) byValue.set(r.threshold, [...(byValue.get(r.threshold) ?? []), r.stream]);
  }
  return [...byValue].map(([value, names]) => ({ value, label: `SLO ${formatSignal('rampP99', value)}: ${names.join(', ')}` }));
}

export function chartSpecs(report: Report): ChartOptions[] {
  const phases = report.phases.map((p) => ({ name: p.name, start: p.startSeconds, end: p.startSeconds + p.durationSeconds }));
  const out: ChartOptions[] = [];
  const latency = (['probeP99', 'coldProbeP99', 'rampP99', 'pressureP99', 'serverP99'] as const).filter((id) => has(report, id));
  out.push({
    title: 'Client-side P99 (warm and cold) vs server-side P99 (per second, ms, log scale)',
    subtitle:
      'The gap between the red lines (what clients wait: warm on kept-alive sockets, dark red on new connections) and the green one (what the server thinks it took) is the lesson.',
    lines: latency.map((id) => line(report, id, id === 'pressureP99')),
    phases,
    scale: 'log',
    factor: 1000,
    unit: 'ms',
    thresholds: [
      {
        value: report.leadTimeReference.sloSeconds,
        label: `warm probe SLO ${formatSignal('probeP99', report.leadTimeReference.sloSeconds)}`,
      },
      ...(report.leadTimeReference.coldSloSeconds !== report.leadTimeReference.sloSeconds
        ? [
            {
              value: report.leadTimeReference.coldSloSeconds,
              label: `cold probe SLO ${formatSignal('coldProbeP99', report.leadTimeReference.coldSloSeconds)}`,
            },
          ]
        : []),
    ],
  });
  const streams = Object.entries(report.series.streams ?? {});
  if (streams.length > 0) {
    const palette = ['#ff7f0e', '#9467bd', '#2ca02c', '#1f77b4', '#e377c2', '#8c564b', '#bcbd22', '#17becf'];
    out.push({
      title: 'Load streams: P99 per stream (per second, ms, log scale)',
      subtitle:
        'Each named load stream on its own line (open loop: from the intended send time), so the chart says which route slowed down.',
      lines: streams.map(([name, s], i) => ({ label: name, color: palette[i % palette.length] as string, values: s.p99, dashed: false })),
      phases,
      scale: 'log',
      factor: 1000,
      unit: 'ms',
      thresholds: streamSloLines(report),
    });
  }
  out.push({
    title: 'Event loop: delay p99, delay max, live stall (ms, log scale)',
    subtitle:
      'Per second: delay p99 of that second (its bucket); delay max = the gauge, the longest delay in its window (the last 5 s by default), so it stays up for a few seconds after a stall; live stall = the stall in progress at the scrape.',
    lines: (['loopDelayP99', 'loopDelayMax', 'loopStall'] as const).filter((id) => has(report, id)).map((id) => line(report, id)),
    phases,
    scale: 'log',
    factor: 1000,
    unit: 'ms',
  });
  if (has(report, 'elu')) {
    out.push({
      title: 'Event-loop utilization',
      lines: [line(report, 'elu')],
      phases,
      scale: 'linear',
      unit: 'ratio',
      yMax: 1,
      height: 200,
    });
  }
  const queues = (['poolQueue', 'backlog'] as const).filter((id) => has(report, id));
  if (queues.length) {
    out.push({
      title: 'Queues: worker-pool queue and checkout backlog',
      lines: queues.map((id) => line(report, id)),
      phases,
      scale: 'linear',
      unit: 'count',
      height: 200,
    });
  }
  if (has(report, 'threadpoolCanary')) {
    // The line is the figure the lead-time table judges: the share certainly the threadpool's
    // (the lower bound, 1 − ELU of it); the shading reaches up to the raw canary reading.
    const canary = line(report, 'threadpoolCanary');
    const lower = report.series.lowerBounds.threadpoolCanary;
    out.push({
      title: 'Threadpool canary, the threadpool’s certain share (ms, log scale)',
      subtitle:
        'Line: (1 − ELU) × the canary’s lower bound, what the lead-time table judges; shading up to the raw canary reading, which includes main-loop delay.',
      lines: [
        {
          ...canary,
          label: 'threadpool canary (certain share)',
          bandLabel: 'up to the raw canary reading',
          ...(lower ? { values: lower } : {}),
        },
      ],
      phases,
      scale: 'log',
      factor: 1000,
      unit: 'ms',
      height: 200,
      thresholds: [
        { value: canaryThreshold(report), label: `lead-time threshold ${formatSignal('threadpoolCanary', canaryThreshold(report))}` },
      ],
    });
  }
  if (has(report, 'errorRate')) {
    out.push({
      title: 'Client error rate (errors + timeouts)',
      lines: [line(report, 'errorRate')],
      phases,
      scale: 'linear',
      unit: 'ratio',
      yMax: 1,
      height: 180,
    });
  }
  return out;
}

function charts(report: Report): string[] {
  return chartSpecs(report).map(lineChart);
}

function table(header: string[], rows: string[][], className = ''): string {
  return `<table class="${className}"><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:960px;color:#1d1d1f;padding:0 16px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600;margin-left:8px;font-size:15px}
.passed{background:#2a7d2e}.failed{background:#c62828}.error{background:#6d4c41}.inconclusive{background:#b26a00}
.meta{color:#555;margin:4px 0}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:13px} th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f6} td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#2a7d2e;font-weight:600}.fail{color:#c62828;font-weight:600}
.chart{width:100%;height:auto;margin:8px 0;display:block}
.chart-title{font-size:13px;font-weight:600;fill:#1d1d1f}.chart-sub{font-size:11px;fill:#666}
.tick,.legend,.band-label{font-size:11px;fill:#555}.grid{stroke:#eee}.frame{fill:none;stroke:#bbb}
.band-0{fill:#f7f7fa}.band-1{fill:#eef2f8}.threshold{stroke:#d62728;stroke-dasharray:2 4;stroke-width:1}.threshold-label{font-size:10px;fill:#d62728}
ul{padding-left:20px}
`;

export function renderHtml(report: Report): string {
  const verdict = report.verdict;
  const body: string[] = [];
  body.push(`<h1>${esc(report.scenario.title)}<span class="verdict ${verdict}">${format.verdictText(report)}</span></h1>`);
  body.push(`<p>${esc(report.scenario.description)}</p>`);
  body.push(
    `<p class="meta">Scenario <code>${esc(report.scenario.name)}</code>${report.scenario.quick ? ' (--quick)' : ''} · ${esc(report.startedAt)} · target ${esc(report.target.apiUrl)}</p>`,
    `<p class="meta">${esc(format.probesText(report))}</p>`,
  );
  body.push(`<p class="meta">${esc(format.runLine(report))}</p>`);
  if (report.inconclusive) body.push(`<p class="fail">Inconclusive (exit 2): ${esc(report.inconclusive)}.</p>`);
  if (report.error) body.push(`<p class="fail">Error: ${esc(report.error)}</p>`);
  body.push('<h2>Expectations</h2>');
  body.push(
    table(
      ['', 'expectation', 'observed', 'why'],
      report.expectations.map((e) => [
        e.passed ? '<span class="pass">pass</span>' : '<span class="fail">FAIL</span>',
        esc(e.description),
        esc(format.observedText(e)),
        esc(e.why ?? ''),
      ]),
      'expectations',
    ),
  );
  body.push('<h2>Which signal moved first</h2>', `<p>${esc(format.leadHeadline(report))}</p>`);
  body.push(
    table(
      format.LEAD_HEADER,
      format
        .leadRows(report)
        .map((r) => [r.label, r.threshold, r.firstCrossing, r.sustained, r.vsBreach, r.vsColdBreach, r.value].map(esc)),
      'lead-times',
    ),
  );
  if (report.heldTheLoop) {
    const held = heldTheLoopTable(report.heldTheLoop);
    body.push('<h2>What held the loop</h2>', `<p>${esc(held.intro)}</p>`);
    if (held.rows.length > 0)
      body.push(
        table(
          held.header,
          held.rows.map((r) => r.map(esc)),
          'held-the-loop',
        ),
      );
  }
  const alerts = format.alertHeadline(report);
  if (alerts) {
    body.push('<h2>Would the alerts have fired?</h2>', `<p>${esc(alerts)}</p>`);
    if (format.alertRows(report).length > 0)
      body.push(
        table(
          format.ALERT_HEADER,
          format.alertRows(report).map((r) => r.map(esc)),
          'alerts',
        ),
      );
  }
  body.push('<h2>Liveness probe</h2>', `<p class="liveness">${esc(format.livenessText(report))}</p>`);
  body.push('<h2>Timeline</h2>', ...charts(report));
  body.push('<h2>Phases</h2>');
  body.push(
    table(
      format.PHASE_HEADER,
      format.phaseRows(report).map((r) => r.map(esc)),
    ),
  );
  body.push(
    table(
      ['signal (phase summary)', ...report.phases.map((p) => p.name)],
      format
        .summaryRows(report)
        .map((r) => [r.stat ? `${esc(r.label)} <small>(${esc(r.stat)})</small>` : esc(r.label), ...r.cells.map(esc)]),
      'summary',
    ),
  );
  const streamRows = format.streamResultRows(report);
  if (streamRows.length > 0)
    body.push(
      '<h3>Load streams</h3>',
      table(
        format.STREAM_RESULT_HEADER,
        streamRows.map((row) => row.map(esc)),
      ),
    );
  body.push(
    `<p class="meta">${esc(format.rangeLegend(report))} In the charts the shading spans the bucket and the line follows its upper bound, except the threadpool canary's (see its chart).</p>`,
  );
  body.push('<h2>Notes</h2>', `<ul>${report.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(report.scenario.name)}: ${verdict} · runtime-lab</title>
<style>${STYLE}</style></head>
<body>
${body.join('\n')}
</body></html>
`;
}
