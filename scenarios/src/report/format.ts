// Shared wording and table rows for the Markdown and HTML reports, so both say the same thing.
import { SUSTAIN_SECONDS } from '../analysis/lead-times.js';
import { SIGNALS, SIGNAL_IDS, type SignalId, formatFigure, formatSignal } from '../signals.js';
import type { Report } from './schema.js';
import { heldTheLoopLines } from './held-the-loop.js';

export function signedSeconds(value: number | null): string {
  if (value === null) return '–';
  if (value === 0) return '0 s';
  return `${value > 0 ? '+' : '−'}${Math.abs(value)} s`;
}

function breachText(population: string, sloSeconds: number, breachSeconds: number | null, ref: Report['leadTimeReference']): string {
  const slo = `P99 > ${formatSignal('probeP99', sloSeconds)}`;
  if (breachSeconds === null) return `the ${population} probe never breached its SLO (${slo}) in the search window`;
  const from = ref.onsetPhase === null ? `at t = ${breachSeconds} s` : `${signedSeconds(breachSeconds - ref.onsetSeconds)} after onset`;
  return `the ${population} probe breached its SLO (${slo}) ${from}`;
}

export function leadHeadline(report: Report): string {
  const ref = report.leadTimeReference;
  const onset =
    ref.onsetPhase === null
      ? 'No fault in this scenario, so no onset: first crossings count from the start of the run (t = 0 s), and a signal above its threshold from its first reading crosses there'
      : `Onset: phase "${ref.onsetPhase}" at t = ${ref.onsetSeconds} s (crossings searched up to t = ${ref.searchEndSeconds} s)`;
  const warm = breachText('warm', ref.sloSeconds, ref.sloBreachSeconds, ref);
  const cold = breachText('cold', ref.coldSloSeconds, ref.coldSloBreachSeconds, ref);
  return `${onset}; ${warm}; ${cold}.`;
}

export interface LeadRow {
  label: string;
  threshold: string;
  firstCrossing: string;
  sustained: string;
  vsBreach: string;
  vsColdBreach: string;
  value: string;
}

export const LEAD_HEADER = [
  'signal',
  'threshold',
  'first crossing',
  'first sustained crossing',
  'vs warm SLO breach',
  'vs cold SLO breach',
  'value then',
];

type LeadTimeRow = Report['leadTimes'][number];

const STATUS_ORDER: Record<LeadTimeRow['status'], number> = {
  crossed: 0,
  intermittent: 1,
  'already-above': 2,
  later: 3,
  'before-onset': 4,
  'summary-only': 5,
  never: 6,
  'no-data': 7,
};

/** Offset from onset, or the run time when the run has no onset. */
function whenText(report: Report, at: number | null): string {
  if (at === null) return '–';
  const ref = report.leadTimeReference;
  return ref.onsetPhase === null ? `t = ${at} s` : signedSeconds(at - ref.onsetSeconds);
}

/** The "first crossing" cell: when the signal first rose above its threshold, or why it has no such second. */
export function crossingText(row: LeadTimeRow, report: Report): string {
  const at = whenText(report, row.firstCrossingSeconds);
  switch (row.status) {
    case 'crossed':
      return at;
    case 'intermittent':
      return `${at} (intermittent)`;
    case 'already-above':
      return row.dataBeforeOnset ? 'already above before onset' : 'above from its first reading';
    case 'later':
      return `not in the onset phase; above from ${at} (${row.firstCrossingPhase})`;
    case 'before-onset':
      return `above only before onset (from t = ${row.firstCrossingSeconds} s, ${row.firstCrossingPhase})`;
    case 'summary-only':
      return `no second above; phase summary above in ${row.abovePhases.join(', ')}`;
    case 'never':
      return 'never';
    default:
      return 'no data';
  }
}

/** The "first sustained crossing" cell. */
export function sustainedText(row: LeadTimeRow, report: Report): string {
  if (row.firstSustainedCrossingSeconds !== null) return whenText(report, row.firstSustainedCrossingSeconds);
  return row.status === 'intermittent' ? `none (never ${SUSTAIN_SECONDS} readings in a row)` : '–';
}

/**
 * Rows of the lead-time table: signals and named load streams (each stream's P99 against its own
 * threshold) with data, by status, then earliest sustained crossing first.
 */
export function leadRows(report: Report): LeadRow[] {
  return [...report.leadTimes, ...(report.streamLeadTimes ?? [])]
    .filter((r) => r.hasData)
    .sort(
      (a, b) =>
        STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
        (a.firstSustainedCrossingSeconds ?? a.firstCrossingSeconds ?? Number.POSITIVE_INFINITY) -
          (b.firstSustainedCrossingSeconds ?? b.firstCrossingSeconds ?? Number.POSITIVE_INFINITY),
    )
    .map((r) => ({
      label: r.label,
      threshold: `> ${formatSignal(r.signal, r.threshold)}`,
      firstCrossing: crossingText(r, report),
      sustained: sustainedText(r, report),
      vsBreach: r.relativeToSloBreachSeconds === null ? '–' : signedSeconds(r.relativeToSloBreachSeconds),
      vsColdBreach: r.relativeToColdSloBreachSeconds === null ? '–' : signedSeconds(r.relativeToColdSloBreachSeconds),
      value:
        r.firstSustainedCrossingSeconds === null && r.status !== 'intermittent'
          ? '–'
          : formatFigure(r.signal, r.valueAtCrossing, r.valueAtCrossingLower),
    }));
}

/**
 * The liveness verdict in one sentence: how many attempts failed, whether and when the kubelet
 * would have restarted the pod, relative to each population's SLO breach.
 */
export function livenessText(report: Report): string {
  const l = report.liveness;
  const ref = report.leadTimeReference;
  const failed = l.attempts.filter((a) => a.outcome !== 'ok').length;
  const rule = `GET ${l.route}, new connection, timeoutSeconds ${l.timeoutSeconds}, periodSeconds ${l.periodSeconds}, failureThreshold ${l.failureThreshold}`;
  if (l.attempts.length === 0) return `Liveness probe (${rule}): no attempt was made during the run.`;
  // Attempts are timed to the millisecond, breaches to the second: offsets to a tenth of a second.
  const offset = (seconds: number): string => signedSeconds(Number(seconds.toFixed(1)));
  const versus = (at: number): string => {
    const parts: string[] = [];
    if (ref.sloBreachSeconds !== null) parts.push(`${offset(at - ref.sloBreachSeconds)} vs the warm SLO breach`);
    if (ref.coldSloBreachSeconds !== null) parts.push(`${offset(at - ref.coldSloBreachSeconds)} vs the cold SLO breach`);
    return parts.length ? ` (${parts.join(', ')})` : '';
  };
  const attempts = `${failed} of ${l.attempts.length} attempts failed`;
  if (failed === 0) return `Liveness probe (${rule}): ${attempts}; the pod would not have been restarted.`;
  const first = `first failure at t = ${(l.firstFailureSeconds as number).toFixed(1)} s${versus(l.firstFailureSeconds as number)}`;
  if (l.restartSeconds !== null) {
    return `Liveness probe (${rule}): ${attempts}, ${first}; the pod WOULD HAVE BEEN RESTARTED at t = ${l.restartSeconds.toFixed(1)} s${versus(l.restartSeconds)}, after ${l.failureThreshold} failures in a row.`;
  }
  // The kubelet restarts after failureThreshold failures in a row, one every periodSeconds: a
  // failing stretch shorter than (failureThreshold − 1) × period + timeout never restarts the pod.
  const window = (l.failureThreshold - 1) * l.periodSeconds + l.timeoutSeconds;
  return `Liveness probe (${rule}): ${attempts}, ${first}; no restart: the longest run was ${l.maxConsecutiveFailures} failure(s) in a row, and a restart needs ${l.failureThreshold} in a row, i.e. the probe failing for at least ${window} s.`;
}

/** The phase table's header and rows (plain text), shared by report.md and report.html. */
export const PHASE_HEADER = ['phase', 'time', 'faults', 'mitigations', 'load'];
export function phaseRows(report: Report): string[][] {
  return report.phases.map((p) => [
    p.name,
    `${p.startSeconds}–${p.startSeconds + p.durationSeconds} s`,
    togglesText(p.faults),
    togglesText(p.mitigations),
    streamsText(p),
  ]);
}

/** One row of the phase-summary table: a label, the statistic it shows (if any), one plain-text cell per phase. */
export interface SummaryRow {
  label: string;
  stat?: string;
  cells: string[];
}

/** The phase-summary table's rows, shared by report.md and report.html so the two cannot drift. */
export function summaryRows(report: Report): SummaryRow[] {
  return [
    ...signalsWithData(report).map((id) => ({
      label: SIGNALS[id].label,
      stat: statLabel(id),
      cells: report.phases.map((_, i) => phaseCell(report, i, id)),
    })),
    {
      label: 'warm probe requests (errors / timeouts)',
      cells: report.phases.map((p) => `${p.clients.probe.requests} (${p.clients.probe.errors} / ${p.clients.probe.timeouts})`),
    },
    {
      label: 'cold probe requests (errors / timeouts)',
      cells: report.phases.map((p) => `${p.clients.cold.requests} (${p.clients.cold.errors} / ${p.clients.cold.timeouts})`),
    },
    { label: 'ramp + pressure requests', cells: report.phases.map((p) => String(p.clients.ramp.requests + p.clients.pressure.requests)) },
  ];
}

/** Signals that have data in at least one phase, in the canonical order. */
export function signalsWithData(report: Report): SignalId[] {
  return SIGNAL_IDS.filter((id) => report.phases.some((p) => p.summary[id] !== null));
}

export function phaseCell(report: Report, phaseIndex: number, id: SignalId): string {
  const phase = report.phases[phaseIndex];
  if (!phase) return '–';
  const text = formatFigure(id, phase.summary[id], phase.summaryLower?.[id]);
  const probe = id === 'coldProbeP99' ? phase.clients.cold : phase.clients.probe;
  // A P99 that is a timeout only says "at least": the share of timeouts says how bad.
  if (
    (id === 'probeP99' || id === 'coldProbeP99') &&
    phase.summary[id] === null &&
    phase.summaryLower?.[id] != null &&
    probe.requests > 0
  ) {
    return `${text} (${Math.round((probe.timeouts / probe.requests) * 100)} % timed out)`;
  }
  return text;
}

export function statLabel(id: SignalId): string {
  const stat = SIGNALS[id].phaseStat;
  return stat === 'ratio' ? 'share' : stat;
}

export function togglesText(toggles: Record<string, Record<string, unknown>>): string {
  const entries = Object.entries(toggles);
  if (entries.length === 0) return 'none';
  return entries
    .map(([name, params]) => {
      const p = Object.entries(params).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`);
      return p.length ? `${name} (${p.join(', ')})` : name;
    })
    .join('; ');
}

export function streamsText(phase: Report['phases'][number]): string {
  if (phase.streams.length === 0) return 'probe only';
  return phase.streams.map(streamText).join('; ');
}

function streamText(s: Report['phases'][number]['streams'][number]): string {
  if (s.kind === 'pressure') return `${s.name}: pressure ${s.method} ${s.route} × ${s.connections} connections (closed loop)`;
  if (s.kind === 'ramp')
    return `${s.name}: ramp ${s.method} ${s.route} ${s.startRate} req/s +${s.stepRate} every ${s.stepSeconds} s${s.maxRate ? ` (max ${s.maxRate})` : ''} (open loop)`;
  const what = s.kind === 'rate' ? `${s.ratePerSecond} req/s` : `${s.count} request${s.count === 1 ? '' : 's'} at +${s.atSecond} s`;
  const extras = [
    s.headerNames?.length ? `headers ${s.headerNames.join(', ')}` : '',
    s.bodies ? `bodies: ${s.bodies}` : '',
    s.variants ? `variants: ${s.variants}` : '',
    s.acrossPhases ? `runs ${s.acrossPhases.from}–${s.acrossPhases.to} without restarting` : '',
  ].filter(Boolean);
  return `${s.name}: ${s.kind} ${s.method} ${s.route}${s.query ?? ''} ${what} (open loop${extras.length ? `; ${extras.join('; ')}` : ''})`;
}

/** Rows of the per-stream table: one per phase and named stream. */
export function streamResultRows(report: Report): string[][] {
  const rows: string[][] = [];
  for (const p of report.phases) {
    for (const r of p.streamResults ?? []) {
      rows.push([
        p.name,
        r.stream,
        String(r.requests),
        String(r.errors),
        String(r.timeouts),
        formatSignal('rampP99', r.p50),
        formatFigure('rampP99', r.p99, r.p99Lower),
      ]);
    }
  }
  return rows;
}

export const STREAM_RESULT_HEADER = ['phase', 'stream', 'requests', 'errors', 'timeouts', 'P50', 'P99'];

/** A lead: `observed` = later signal's crossing − the leading signal's; negative means it came later. */
export function leadObservedText(observed: number): string {
  if (observed === 0) return 'in the same second (0 s earlier)';
  return observed > 0 ? `${observed} s earlier` : `${-observed} s later, not earlier`;
}

export function observedText(e: Report['expectations'][number]): string {
  if (e.kind === 'lead')
    return e.notObserved ? `not observed: ${e.notObserved}` : e.observed === null ? 'no data' : leadObservedText(e.observed);
  if (e.observed === null && e.observedLower === undefined) return 'no data';
  return formatFigure(e.signal, e.observed, e.observedLower);
}

/**
 * The legend under the phase table, with an example range taken from this report's own figures
 * (a bucket it actually shows), so the example is one of the buckets the service really has.
 */
export function rangeLegend(report: Report): string {
  let example: string | undefined;
  for (const phase of report.phases) {
    for (const id of SIGNAL_IDS) {
      const lower = phase.summaryLower?.[id];
      const upper = phase.summary[id];
      if (example === undefined && lower !== undefined && lower !== null && lower > 0 && upper !== null && SIGNALS[id].unit === 'seconds') {
        example = formatFigure(id, upper, lower);
      }
    }
  }
  const range = example === undefined ? 'A range (lower–upper)' : `A range (e.g. ${example}, from this report)`;
  return `${range} is the histogram bucket holding the figure, except for the threadpool canary, whose range runs from the share certainly the threadpool's ((1 − ELU) × its lower bound) to the raw reading; ≤ means at most (the first bucket), ≥ at least (a timeout).`;
}

/** The probes as run: both populations, each with its rate and SLO. */
export function probesText(report: Report): string {
  const p = report.probe;
  const c = report.coldProbe;
  return (
    `Warm probe: GET ${p.route} at ${p.ratePerSecond} req/s over keep-alive sockets opened before the run, open loop, SLO P99 ≤ ${p.sloMs} ms. ` +
    `Cold probe: GET ${c.route} at ${c.ratePerSecond} req/s, a new connection per request, open loop, SLO P99 ≤ ${c.sloMs} ms.`
  );
}

export function verdictText(report: Report): string {
  return report.verdict.toUpperCase();
}

export function runLine(report: Report): string {
  const r = report.runner;
  const late = r.probeScheduleErrorP99Ms !== null && r.probeScheduleErrorP99Ms > r.probeScheduleErrorLimitMs ? ' — OVER its limit' : '';
  const sched =
    r.probeScheduleErrorP99Ms === null
      ? ''
      : `, probe send lateness p99 ${r.probeScheduleErrorP99Ms.toFixed(2)} ms (limit ${r.probeScheduleErrorLimitMs} ms${late}), ${r.probeSockets} pre-opened probe sockets`;
  const stale = r.staleSeconds.length > 0 ? `, ${r.staleSeconds.length} s without a fresh watchdog snapshot` : '';
  return `wall time ${report.wallSeconds.toFixed(1)} s, runner CPU ${r.cpuSeconds.toFixed(1)} s (${r.cpuPercentOfOneCore.toFixed(0)}% of one core)${sched}, ${r.scrapes} watchdog scrapes (${r.failedScrapes.length} failed or skipped${stale}), faults restored: ${r.restored ? 'yes' : 'NO'}`;
}

/**
 * The summary `lab run` prints when a run ends: expectations, warm and cold P99 per phase, the
 * lead-time rows (crossed and intermittent first, then where the others were), the liveness
 * verdict and the verdict line. Same words as the reports.
 */
export function terminalSummary(report: Report): string[] {
  const out: string[] = [''];
  for (const e of report.expectations) out.push(`  ${e.passed ? 'pass' : 'FAIL'}  ${e.description}: observed ${observedText(e)}`);
  out.push('', `  P99 per phase (warm: keep-alive sockets; cold: a new connection per request):`);
  report.phases.forEach((p, i) => {
    out.push(`    ${p.name.padEnd(12)} warm ${phaseCell(report, i, 'probeP99')}, cold ${phaseCell(report, i, 'coldProbeP99')}`);
  });
  out.push('', `  ${leadHeadline(report)}`);
  for (const row of leadRows(report)) {
    const vs = [
      row.vsBreach === '–' ? '' : `${row.vsBreach} vs warm breach`,
      row.vsColdBreach === '–' ? '' : `${row.vsColdBreach} vs cold breach`,
    ]
      .filter(Boolean)
      .join(', ');
    const sustained = row.sustained === '–' || row.sustained === row.firstCrossing ? '' : `; sustained ${row.sustained}`;
    out.push(`    ${row.label} ${row.threshold}: ${row.firstCrossing}${sustained}${vs ? ` (${vs})` : ''}`);
  }
  const streamRows = streamResultRows(report);
  if (streamRows.length > 0) {
    out.push('', '  Load streams per phase (requests, errors / timeouts, P99):');
    for (const [phase, stream, requests, errors, timeouts, , p99] of streamRows)
      out.push(`    ${phase} ${stream}: ${requests}, ${errors} / ${timeouts}, P99 ${p99}`);
  }
  out.push(...alertLines(report));
  out.push('', `  ${livenessText(report)}`);
  if (report.heldTheLoop) {
    out.push('', '  what held the loop (per phase, top frame):', ...heldTheLoopLines(report.heldTheLoop).map((line) => `    ${line}`));
  }
  const missing = report.target.unavailableSignals ?? [];
  if (missing.length > 0) {
    out.push(
      '',
      `  Signals not available from this target (${report.target.metricsSource ?? 'unknown'} metrics at ${report.target.metricsUrl}):`,
    );
    for (const u of missing) out.push(`    ${SIGNALS[u.signal].label}: ${u.reason}`);
  }
  const r = report.runner;
  const lateness = r.probeScheduleErrorP99Ms === null ? '' : `, probe send lateness p99 ${r.probeScheduleErrorP99Ms.toFixed(1)} ms`;
  out.push(
    '',
    `${report.verdict.toUpperCase()}: ${report.scenario.name} in ${report.wallSeconds.toFixed(1)} s (runner CPU ${r.cpuSeconds.toFixed(1)} s${lateness})`,
  );
  if (report.inconclusive) out.push(`  ${report.inconclusive}`);
  return out;
}

export const ALERT_HEADER = ['alert', 'labels', 'pending', 'firing', 'resolved', 'firing vs warm breach', 'firing vs cold breach'];

/** "Alerts (…)": which evaluator produced the times, or why there are none. */
export function alertHeadline(report: Report): string | undefined {
  const a = report.alerts;
  if (!a) return undefined;
  if (!a.evaluated) return a.reason ?? 'alerts not evaluated';
  const never = a.neverPending.length > 0 ? `; never pending (so never fired): ${a.neverPending.join(', ')}` : '';
  const times = report.leadTimeReference.onsetPhase === null ? 'times are run times' : 'times are relative to fault onset';
  return `Alert rules evaluated by ${a.evaluator} over the run's watchdog scrapes (${times})${never}.`;
}

/** One row per alert episode: pending, firing, resolved, and the first firing against both SLO breaches. */
export function alertRows(report: Report): string[][] {
  const rows: string[][] = [];
  for (const alert of report.alerts?.alerts ?? []) {
    const labels = Object.entries(alert.labels)
      .filter(([k]) => k === 'severity' || k === 'job')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    alert.episodes.forEach((e, i) => {
      const first = i === 0;
      rows.push([
        alert.alertname,
        labels,
        whenText(report, e.pendingAtSeconds),
        e.firingAtSeconds === null ? 'never (resolved while pending)' : whenText(report, e.firingAtSeconds),
        e.resolvedAtSeconds === null ? 'still active at the end' : whenText(report, e.resolvedAtSeconds),
        first ? signedSeconds(alert.firingRelativeToSloBreachSeconds) : '',
        first ? signedSeconds(alert.firingRelativeToColdSloBreachSeconds) : '',
      ]);
    });
  }
  return rows;
}

/** The terminal's alert lines. */
export function alertLines(report: Report): string[] {
  const headline = alertHeadline(report);
  if (!headline) return [];
  const out = ['', `  ${headline}`];
  for (const [name, labels, pending, firing, resolved, vsWarm, vsCold] of alertRows(report)) {
    const vs = [vsWarm && vsWarm !== '–' ? `${vsWarm} vs warm breach` : '', vsCold && vsCold !== '–' ? `${vsCold} vs cold breach` : '']
      .filter(Boolean)
      .join(', ');
    const end = resolved === 'still active at the end' ? resolved : `resolved ${resolved}`;
    out.push(`    ${name} (${labels}): pending ${pending}, firing ${firing}, ${end}${vs ? ` (${vs})` : ''}`);
  }
  return out;
}
