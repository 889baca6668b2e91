// Shared wording and table rows for the Markdown and HTML reports, so both say the same thing.
import { SIGNALS, SIGNAL_IDS, type SignalId, formatSignal } from '../signals.js';
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

/** Rows of the lead-time table: signals with data, earliest crossing first, never-crossed last. */
export function leadRows(report: Report): LeadRow[] {
  return [...report.leadTimes]
    .filter((r) => r.hasData)
    .sort((a, b) => (a.firstCrossingSeconds ?? Number.POSITIVE_INFINITY) - (b.firstCrossingSeconds ?? Number.POSITIVE_INFINITY))
    .map((r) => ({
      label: r.label,
      threshold: `> ${formatSignal(r.signal, r.threshold)}`,
      afterOnset: r.afterOnsetSeconds === null ? 'never' : signedSeconds(r.afterOnsetSeconds),
      vsBreach: r.firstCrossingSeconds === null ? '–' : signedSeconds(r.relativeToSloBreachSeconds),
      value: formatSignal(r.signal, r.valueAtCrossing),
    }));
}

/** Signals that have data in at least one phase, in the canonical order. */
export function signalsWithData(report: Report): SignalId[] {
  return SIGNAL_IDS.filter((id) => report.phases.some((p) => p.summary[id] !== null));
}

export function phaseCell(report: Report, phaseIndex: number, id: SignalId): string {
  const phase = report.phases[phaseIndex];
  return phase ? formatSignal(id, phase.summary[id]) : '–';
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
  if (e.observed === null) return 'no data';
  if (e.kind === 'lead') return `${e.observed} s earlier`;
  return formatSignal(e.signal, e.observed);
}

export function runLine(report: Report): string {
  const r = report.runner;
  const sched = r.probeScheduleErrorP99Ms === null ? '' : `, probe send-schedule error p99 ${r.probeScheduleErrorP99Ms.toFixed(2)} ms`;
  return `wall time ${report.wallSeconds.toFixed(1)} s, runner CPU ${r.cpuSeconds.toFixed(1)} s (${r.cpuPercentOfOneCore.toFixed(0)}% of one core)${sched}, ${r.scrapes} watchdog scrapes (${r.failedScrapes.length} failed), faults restored: ${r.restored ? 'yes' : 'NO'}`;
}
