// Words against figures: every kind of row the terminal summary, report.md and report.html
// print, rendered from one report, and each sentence checked against the number it describes
// (a lead that came later is not "earlier", a bucket example is a bucket the service has, the
// progress line says which loop-delay figure it shows, the canary chart draws what the table judges).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIVENESS_DEFAULTS, livenessVerdict } from '../src/analysis/liveness.js';
import { Timeline } from '../src/analysis/timeline.js';
import type { Scenario } from '../src/define.js';
import { plan } from '../src/plan.js';
import { progressLine } from '../src/progress.js';
import { assembleReport } from '../src/report/assemble.js';
import {
  crossingText,
  leadObservedText,
  leadRows,
  livenessText,
  observedText,
  rangeLegend,
  terminalSummary,
} from '../src/report/format.js';
import { chartSpecs, renderHtml } from '../src/report/html.js';
import { renderMarkdown } from '../src/report/markdown.js';
import type { LeadTimeRow, Report } from '../src/report/schema.js';
import { reportProblems } from '../src/report/write.js';
import { extractSnapshot } from '../src/sample/snapshot.js';
import { parseExposition } from '@runtime-lab/scrape';
import { RUN_START_MS, cumulative, snapshot } from './fixtures.js';

/** The lab's loop-delay bucket edges: 1.25 ms · 2^k. */
const LAB_EDGES = Array.from({ length: 15 }, (_, k) => 0.00125 * 2 ** k);

/** A 12 s run: 4 s baseline, 4 s fault with 600 ms stalls and canary waits, 4 s recovery. */
function sampleReport(): Report {
  const scenario: Scenario = {
    name: 'words',
    title: 'Words',
    description: 'x',
    phases: [
      { name: 'baseline', durationSeconds: 4, settleSeconds: 0 },
      // An input trigger on a header: its value may be a credential.
      { name: 'fault', durationSeconds: 4, settleSeconds: 0, faults: { blocking: { trigger: 'header:x-api-key=s3cr3t-k3y' } } },
      { name: 'recovery', durationSeconds: 4, settleSeconds: 0 },
    ],
    // Its own SLO, 200 ms: the threshold of its row in the lead-time table.
    streams: [{ kind: 'rate', name: 'storefront', route: '/api/orders', ratePerSecond: 10, sloMs: 200 }],
    expectations: [
      { phase: 'fault', signal: 'loopDelayP99', above: 0.32 },
      { leads: 'elu', before: 'probeP99' },
    ],
  };
  const timeline = new Timeline(RUN_START_MS, 12);
  const stalled = (bin: number): boolean => bin >= 4 && bin < 8;
  for (let bin = 0; bin < 12; bin += 1) {
    for (let i = 0; i < 20; i += 1) {
      timeline.addClient('probe', RUN_START_MS + bin * 1000 + i * 50, stalled(bin) ? 300 + i * 40 : 3, 'ok');
      if (i % 4 === 0) timeline.addClient('cold', RUN_START_MS + bin * 1000 + i * 50, stalled(bin) ? 2000 + i * 100 : 4, 'ok');
      // The storefront slows down one second after the warm probe: from second 5 on.
      if (i % 2 === 0) timeline.addStream('storefront', RUN_START_MS + bin * 1000 + i * 50, bin >= 5 && bin < 8 ? 400 : 150, 'ok');
    }
  }
  const delays: number[] = [];
  const canary: number[] = [];
  const snapshots = Array.from({ length: 13 }, (_, index) => {
    if (stalled(index - 1)) {
      delays.push(0.6);
      canary.push(0.9);
    } else delays.push(...Array.from({ length: 50 }, () => 0.001));
    const s = snapshot({ index, activeSeconds: index * 0.5, canary: [...canary], elu: stalled(index - 1) ? 1 : 0.3 });
    return { ...s, loopDelayBuckets: cumulative(LAB_EDGES, delays) };
  });
  timeline.setSnapshots(snapshots);
  const phases = plan(scenario.phases);
  return assembleReport({
    scenario,
    source: 'words.scenario.ts',
    quick: false,
    target: { apiUrl: 'http://127.0.0.1:1', metricsUrl: 'http://127.0.0.1:2/metrics' },
    metricsSource: { kind: 'telemetry', unavailable: [] },
    usesAdmin: true,
    probe: { route: '/api/ping', ratePerSecond: 20, timeoutMs: 5000, sloMs: 100 },
    coldProbe: { route: '/api/ping', ratePerSecond: 5, timeoutMs: 5000, sloMs: 100 },
    liveness: livenessVerdict(LIVENESS_DEFAULTS, [
      { atSeconds: 0, latencyMs: 3, outcome: 'ok' },
      { atSeconds: 4.5, latencyMs: 1001, outcome: 'timeout' },
      { atSeconds: 5.5, latencyMs: 1002, outcome: 'timeout' },
      { atSeconds: 6.5, latencyMs: 1003, outcome: 'timeout' },
    ]),
    phases,
    timeline,
    startedAt: new Date(RUN_START_MS),
    wallSeconds: 12,
    cpuSeconds: 1,
    scheduleError: { p99Ms: 1, maxMs: 2 },
    probeSockets: 40,
    restored: true,
  });
}

const baseRow = (signal: LeadTimeRow['signal']): LeadTimeRow => ({
  signal,
  label: `label-${signal}`,
  threshold: 0.05,
  status: 'never',
  firstCrossingSeconds: null,
  firstCrossingPhase: null,
  firstSustainedCrossingSeconds: null,
  afterOnsetSeconds: null,
  sustainedAfterOnsetSeconds: null,
  relativeToSloBreachSeconds: null,
  relativeToColdSloBreachSeconds: null,
  valueAtCrossing: null,
  abovePhases: [],
  hasData: true,
  dataBeforeOnset: true,
});

test('every kind of lead-time row says what its figures are', () => {
  const report = sampleReport();
  assert.deepEqual(reportProblems(report), []);
  const onset = report.leadTimeReference.onsetSeconds;
  assert.equal(onset, 4);
  const rows: LeadTimeRow[] = [
    {
      ...baseRow('loopDelayP99'),
      status: 'crossed',
      firstCrossingSeconds: 4,
      firstSustainedCrossingSeconds: 6,
      relativeToSloBreachSeconds: -2,
      relativeToColdSloBreachSeconds: 3,
      valueAtCrossing: 0.64,
      valueAtCrossingLower: 0.32,
    },
    { ...baseRow('serverP99'), status: 'intermittent', firstCrossingSeconds: 5, valueAtCrossing: 0.1, valueAtCrossingLower: 0.05 },
    { ...baseRow('elu'), status: 'already-above' },
    { ...baseRow('backlog'), status: 'later', firstCrossingSeconds: 9, firstCrossingPhase: 'recovery' },
    { ...baseRow('poolQueue'), status: 'before-onset', firstCrossingSeconds: 2, firstCrossingPhase: 'baseline' },
    { ...baseRow('rampP99'), status: 'summary-only', abovePhases: ['fault'] },
    { ...baseRow('errorRate'), status: 'never' },
  ];
  const words = new Map(rows.map((r) => [r.status, crossingText(r, report)]));
  assert.equal(words.get('crossed'), `+${4 - onset} s`.replace('+0 s', '0 s'));
  assert.equal(words.get('intermittent'), '+1 s (intermittent)');
  assert.equal(words.get('already-above'), 'already above before onset');
  assert.equal(words.get('later'), 'not in the onset phase; above from +5 s (recovery)');
  assert.equal(words.get('before-onset'), 'above only before onset (from t = 2 s, baseline)');
  assert.equal(words.get('summary-only'), 'no second above; phase summary above in fault');
  assert.equal(words.get('never'), 'never');

  const table = leadRows({ ...report, leadTimes: rows, streamLeadTimes: [] });
  const crossed = table.find((r) => r.label === 'label-loopDelayP99');
  // −2: crossed two seconds BEFORE the warm breach; +3 after the cold one. The sign is the figure's.
  assert.deepEqual(crossed && [crossed.sustained, crossed.vsBreach, crossed.vsColdBreach, crossed.value], [
    '+2 s',
    '−2 s',
    '+3 s',
    '320–640 ms',
  ]);
  const intermittent = table.find((r) => r.label === 'label-serverP99');
  assert.deepEqual(intermittent && [intermittent.sustained, intermittent.vsBreach, intermittent.value], [
    'none (never 2 readings in a row)',
    '–',
    '50–100 ms',
  ]);
  // The order follows the statuses: crossed first, never last.
  assert.deepEqual(
    table.map((r) => r.label),
    ['label-loopDelayP99', 'label-serverP99', 'label-elu', 'label-backlog', 'label-poolQueue', 'label-rampP99', 'label-errorRate'],
  );

  // A run without an onset speaks in run time, never "after onset".
  const noOnset = { ...report, leadTimeReference: { ...report.leadTimeReference, onsetPhase: null, onsetSeconds: 0 } };
  assert.equal(crossingText(rows[0] as LeadTimeRow, noOnset), 't = 4 s');
});

test('a stream’s lead-time row names the stream and its own SLO, in the table of every report', () => {
  const report = sampleReport();
  assert.deepEqual(reportProblems(report), []);
  const stream = report.streamLeadTimes?.find((r) => r.stream === 'storefront');
  // 150 ms before the stall: below its own 200 ms SLO, though above the 100 ms rampP99 default.
  assert.deepEqual(stream && [stream.threshold, stream.status, stream.firstSustainedCrossingSeconds, stream.relativeToSloBreachSeconds], [
    0.2,
    'crossed',
    5,
    1,
  ]);
  assert.equal(report.leadTimeReference.sloBreachSeconds, 4);
  const row = leadRows(report).find((r) => r.label === 'stream storefront P99');
  // +1 s after onset, and +1 s: one second AFTER the warm probe's breach (the sign is the figure's).
  assert.deepEqual(row && [row.threshold, row.firstCrossing, row.sustained, row.vsBreach], ['> 200 ms', '+1 s', '+1 s', '+1 s']);
  assert.match(renderMarkdown(report), /\| stream storefront P99 \| > 200 ms \| \+1 s \| \+1 s \| \+1 s \|/);
  assert.match(renderHtml(report), /<td>stream storefront P99<\/td><td>&gt; 200 ms<\/td><td>\+1 s<\/td>/);
  assert.ok(
    terminalSummary(report).some((l) => l.trim().startsWith('stream storefront P99 > 200 ms: +1 s (+1 s vs warm breach')),
    terminalSummary(report).join('\n'),
  );
  // The "Load streams" chart draws the stream's own SLO, the threshold its row is judged against.
  const chart = chartSpecs(report).find((c) => c.title.startsWith('Load streams'));
  assert.deepEqual(chart?.thresholds, [{ value: 0.2, label: 'SLO 200 ms: storefront' }]);
});

test('a header trigger keeps its name and loses its value in every report', () => {
  const report = sampleReport();
  const rendered = [JSON.stringify(report), renderMarkdown(report), renderHtml(report), terminalSummary(report).join('\n')];
  for (const text of rendered) assert.ok(!text.includes('s3cr3t'), 'the header value never reaches a report');
  assert.equal(report.phases[1]?.faults.blocking?.trigger, 'header:x-api-key=[redacted]');
  assert.match(renderMarkdown(report), /trigger=header:x-api-key=\[redacted\]/);
});

test('a lead expectation reads "earlier" only when the figure is positive', () => {
  assert.equal(leadObservedText(3), '3 s earlier');
  assert.equal(leadObservedText(-11), '11 s later, not earlier');
  assert.equal(leadObservedText(0), 'in the same second (0 s earlier)');
  const report = sampleReport();
  const lead = report.expectations.find((e) => e.kind === 'lead');
  assert.ok(lead);
  const text = observedText(lead);
  if (lead.observed !== null && !lead.notObserved) {
    const [, n, word] = /^(\d+) s (earlier|later)/.exec(text) ?? [];
    assert.equal(Number(n) * (word === 'later' ? -1 : 1), lead.observed);
  }
});

test('the bucket examples in the notes and legends are buckets of this run, with the run’s own edges', () => {
  const report = sampleReport();
  const note = report.notes.find((n) => n.startsWith('Figures read from histogram buckets')) ?? '';
  const [, lo, hi] = /e\.g\. "([\d.]+)–([\d.]+) ms"/.exec(note) ?? [];
  assert.ok(lo && hi, note);
  const edgesMs = LAB_EDGES.map((e) => Number((e * 1000).toPrecision(3)));
  const i = edgesMs.indexOf(Number(lo));
  assert.ok(i >= 0 && edgesMs[i + 1] === Number(hi), `${lo}–${hi} ms are two adjacent edges of ${edgesMs.join(', ')}`);
  assert.doesNotMatch(note, /512–1024/);
  // The legend's example is a figure the phase table itself shows.
  const legend = rangeLegend(report);
  const [, example] = /e\.g\. ([^,]+), from this report/.exec(legend) ?? [];
  assert.ok(example && renderMarkdown(report).includes(`| ${example} |`), `${legend}`);
  // The canary's range is not a bucket: the legend says what its two ends are.
  assert.ok(report.phases.some((p) => p.summaryLower?.threadpoolCanary !== undefined));
  assert.match(
    legend,
    /threadpool canary, whose range runs from the share certainly the threadpool's \(\(1 − ELU\) × its lower bound\) to the raw reading/,
  );
});

test('the liveness sentence gives the restart time and its offsets with their signs', () => {
  const report = sampleReport();
  const text = livenessText(report);
  const restart = report.liveness.restartSeconds as number;
  assert.equal(restart, 6.5 + 1.003);
  assert.match(text, /3 of 4 attempts failed, first failure at t = 4\.5 s/);
  assert.match(text, new RegExp(`WOULD HAVE BEEN RESTARTED at t = ${restart.toFixed(1)} s`));
  const breach = report.leadTimeReference.sloBreachSeconds as number;
  const offset = Number((restart - breach).toFixed(1));
  assert.ok(text.includes(`(${offset > 0 ? '+' : '−'}${Math.abs(offset)} s vs the warm SLO breach`), text);
  const healthy = livenessText({
    ...report,
    liveness: livenessVerdict(LIVENESS_DEFAULTS, [{ atSeconds: 0, latencyMs: 2, outcome: 'ok' }]),
  });
  assert.match(healthy, /0 of 1 attempts failed; the pod would not have been restarted/);
  const short = livenessText({
    ...report,
    liveness: livenessVerdict(LIVENESS_DEFAULTS, [
      { atSeconds: 0, latencyMs: 2, outcome: 'ok' },
      { atSeconds: 10, latencyMs: 1001, outcome: 'timeout' },
      { atSeconds: 20, latencyMs: 1002, outcome: 'timeout' },
      { atSeconds: 30, latencyMs: 3, outcome: 'ok' },
    ]),
  });
  // Defaults: 3 failures, 10 s apart, 1 s timeout: (3 − 1) × 10 + 1 = 21 s of failing probes at least.
  assert.match(
    short,
    /2 of 4 attempts failed, first failure at t = 10\.0 s .*; no restart: the longest run was 2 failure\(s\) in a row, and a restart needs 3 in a row, i\.e\. the probe failing for at least 21 s\.$/,
  );
});

test('the terminal summary and both reports carry warm and cold figures under their names', () => {
  const report = sampleReport();
  const lines = terminalSummary(report).join('\n');
  const fault = report.phases[1] as Report['phases'][number];
  const ms = (s: number | null | undefined) => `${Math.round((s ?? 0) * 1000)} ms`;
  assert.match(lines, new RegExp(`fault +warm ${ms(fault.summary.probeP99)}, cold ${ms(fault.summary.coldProbeP99)}`));
  for (const rendered of [renderMarkdown(report), renderHtml(report)]) {
    assert.match(rendered, /warm probe P99 \(keep-alive\)/);
    assert.match(rendered, /cold probe P99 \(new connection each\)/);
    assert.match(rendered, /vs cold SLO breach/);
  }
});

test('the threadpool canary chart draws the figure the lead-time table judges, and says so', () => {
  const report = sampleReport();
  const canary = chartSpecs(report).find((c) => c.title.startsWith('Threadpool canary'));
  assert.ok(canary);
  const line = canary.lines[0];
  assert.deepEqual(line?.values, report.series.lowerBounds.threadpoolCanary, 'the line is the lower bound (the certain share)');
  assert.deepEqual(line?.band?.upper, report.series.threadpoolCanary, 'the shading reaches the raw reading');
  assert.ok(
    (report.series.threadpoolCanary as (number | null)[]).some((v, t) => v !== null && v !== line?.values[t]),
    'raw and judged differ during the stall',
  );
  assert.match(canary.subtitle ?? '', /what the lead-time table judges/);
  assert.equal(canary.thresholds?.[0]?.value, report.leadTimes.find((r) => r.signal === 'threadpoolCanary')?.threshold);
});

test('the progress line names the live stall and the loop-delay max with its window', () => {
  const line = progressLine({
    phase: 'recovery',
    elapsedSeconds: 30,
    totalSeconds: 36,
    probeP99Seconds: 0.004,
    coldProbeP99Seconds: 0.006,
    recentSeconds: 3,
    loopStallSeconds: 0,
    loopDelayMaxSeconds: 0.594,
    loopDelayMaxWindowSeconds: 5,
    faults: [],
  });
  assert.match(line, /P99 last 3 s: warm 4 ms, cold 6 ms/);
  assert.match(line, /stall now 0 ms/);
  assert.match(line, /loop delay max \(last 5 s\) 594 ms/);
  // The window comes from the service's own HELP text.
  const families = parseExposition(
    '# HELP runtime_eventloop_delay_max_seconds Largest event-loop delay observed in the last 7 s.\n# TYPE runtime_eventloop_delay_max_seconds gauge\nruntime_eventloop_delay_max_seconds 0.5\n',
  );
  assert.equal(extractSnapshot(0, 0, families, '/api/ping').loopDelayMaxWindowSeconds, 7);
});

test('report.md and report.html show the same phase and phase-summary rows, in the same order', () => {
  const report = sampleReport();
  const text = (html: string): string =>
    html
      .replace(/<[^>]+>/g, '')
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'");
  // First column of each row of the table whose first header cell is `first`.
  const mdLabels = (first: string): string[] => {
    const lines = renderMarkdown(report).split('\n');
    const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
    assert.ok(start >= 0, `report.md has a "${first}" table`);
    const rows: string[] = [];
    for (const line of lines.slice(start + 2)) {
      if (!line.startsWith('|')) break;
      rows.push((line.split(' | ')[0] as string).replace(/^\| /, '').replace(/\\\|/g, '|'));
    }
    return rows;
  };
  const htmlLabels = (first: string): string[] => {
    const tables = renderHtml(report).match(/<table[^>]*>.*?<\/table>/gs) ?? [];
    const table = tables.find((t) => text(t.match(/<th>.*?<\/th>/s)?.[0] ?? '') === first);
    assert.ok(table, `report.html has a "${first}" table`);
    const body = table.slice(table.indexOf('<tbody>'));
    return [...body.matchAll(/<tr><td>(.*?)<\/td>/gs)].map((m) => text(m[1] as string));
  };
  for (const first of ['phase', 'signal (phase summary)']) {
    const md = mdLabels(first);
    assert.ok(md.length >= 2, `${first}: ${md.join(', ')}`);
    assert.deepEqual(htmlLabels(first), md, first);
  }
  assert.ok(mdLabels('signal (phase summary)').includes('ramp + pressure requests'));
});
