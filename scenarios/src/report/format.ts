// Shared wording and table rows for the Markdown and HTML reports, so both say the same thing.
import { SIGNALS, SIGNAL_IDS, type SignalId, formatFigure, formatSignal } from '../signals.js';
import type { Report } from './schema.js';

export function signedSeconds(value: number | null): string {
  if (value === null) return '–';
  if (value === 0) return '0 s';
  return `${value > 0 ? '+' : '−'}${Math.abs(value)} s`;
}

export function leadHeadline(report: Report): string {
  const ref = report.leadTimeReference;
  const breach =
    ref.sloBreachSeconds === null
      ? `the probe never breached its SLO (P99 > ${formatSignal('probeP99', ref.sloSeconds)})`
      : `the probe breached its SLO (P99 > ${formatSignal('probeP99', ref.sloSeconds)}) ${signedSeconds(ref.sloBreachSeconds - ref.onsetSeconds)} after onset`;
  return `Onset: phase "${ref.onsetPhase}" at t = ${ref.onsetSeconds} s; ${breach}.`;
}

export interface LeadRow {
  label: string;
  threshold: string;
  afterOnset: string;
  vsBreach: string;
  value: string;
}

const STATUS_ORDER: Record<Report['leadTimes'][number]['status'], number> = { crossed: 0, 'already-above': 1, never: 2, 'no-data': 3 };

/** What the table says for a row that did not cross from below after onset. */
export function crossingText(row: Report['leadTimes'][number]): string {
  if (row.status === 'crossed') return signedSeconds(row.afterOnsetSeconds);
  if (row.status === 'already-above') return row.dataBeforeOnset ? 'already above before onset' : 'above from its first reading';
  return row.status === 'never' ? 'never' : 'no data';
}

/** Rows of the lead-time table: signals with data, earliest crossing first, then already-above, then never. */
export function leadRows(report: Report): LeadRow[] {
  return [...report.leadTimes]
    .filter((r) => r.hasData)
    .sort(
      (a, b) =>
        STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
        (a.firstCrossingSeconds ?? Number.POSITIVE_INFINITY) - (b.firstCrossingSeconds ?? Number.POSITIVE_INFINITY),
    )
    .map((r) => ({
      label: r.label,
      threshold: `> ${formatSignal(r.signal, r.threshold)}`,
      afterOnset: crossingText(r),
      vsBreach: r.firstCrossingSeconds === null ? '–' : signedSeconds(r.relativeToSloBreachSeconds),
      value: r.firstCrossingSeconds === null ? '–' : formatFigure(r.signal, r.valueAtCrossing, r.valueAtCrossingLower),
    }));
}

/** Signals that have data in at least one phase, in the canonical order. */
export function signalsWithData(report: Report): SignalId[] {
  return SIGNAL_IDS.filter((id) => report.phases.some((p) => p.summary[id] !== null));
}

export function phaseCell(report: Report, phaseIndex: number, id: SignalId): string {
  const phase = report.phases[phaseIndex];
  if (!phase) return '–';
  const text = formatFigure(id, phase.summary[id], phase.summaryLower?.[id]);
  const probe = phase.clients.probe;
  // A P99 that is a timeout only says "at least": the share of timeouts says how bad.
  if (id === 'probeP99' && phase.summary[id] === null && phase.summaryLower?.[id] != null && probe.requests > 0) {
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
  return phase.streams
    .map((s) =>
      s.kind === 'pressure'
        ? `pressure ${s.method} ${s.route} × ${s.connections} connections (closed loop)`
        : `ramp ${s.method} ${s.route} ${s.startRate} req/s +${s.stepRate} every ${s.stepSeconds} s${s.maxRate ? ` (max ${s.maxRate})` : ''} (open loop)`,
    )
    .join('; ');
}

export function observedText(e: Report['expectations'][number]): string {
  if (e.kind === 'lead') return e.notObserved ? `not observed: ${e.notObserved}` : e.observed === null ? 'no data' : `${e.observed} s earlier`;
  if (e.observed === null && e.observedLower === undefined) return 'no data';
  return formatFigure(e.signal, e.observed, e.observedLower);
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
