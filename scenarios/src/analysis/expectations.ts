// Evaluates a scenario's expectations against the phase summaries and the lead times.
// Conservative both ways (range.ts): "above" trusts a figure's lower bound, "below" its upper
// bound, and a bound relative to another phase takes that phase's figure the same way.
import type { Bound, Expectation, LeadExpectation, LeadSubject } from '../define.js';
import { isLeadExpectation } from '../define.js';
import type { ExpectationResult, LeadTimeRow, PhaseReport } from '../report/schema.js';
import { SIGNALS, type SignalId, formatSignal } from '../signals.js';
import { streamRowLabel } from './lead-times.js';
import { type Reading, certainlyAbove, certainlyBelow, exact, toReportValue } from './range.js';
import { type ReadingSeries, clientQuantile } from './series.js';
import { type Stat, summarise, type Window } from './summary.js';
import type { Timeline } from './timeline.js';

export interface EvaluationContext {
  timeline: Timeline;
  readings: ReadingSeries;
  phases: PhaseReport[];
  /** The signals' rows and the named streams' rows. */
  leadTimes: LeadTimeRow[];
}

function windowOf(phase: PhaseReport): Window {
  return { from: phase.startSeconds + phase.settleSeconds, to: phase.startSeconds + phase.durationSeconds };
}

const STATUS_TEXT: Record<LeadTimeRow['status'], string> = {
  crossed: 'crossed',
  intermittent: 'crossed only intermittently (never held 2 readings)',
  'already-above': 'was already above before onset',
  later: 'crossed only after the onset phase',
  'before-onset': 'was above only before onset',
  'summary-only': 'had no second above its threshold (only a phase summary was)',
  never: 'never crossed',
  'no-data': 'has no data',
};

/** The lead-time row of a signal (not a stream's row, which also reads rampP99) or of a named stream. */
function rowOf(rows: LeadTimeRow[], subject: LeadSubject): LeadTimeRow | undefined {
  return typeof subject === 'string'
    ? rows.find((r) => r.signal === subject && r.stream === undefined)
    : rows.find((r) => r.stream === subject.stream);
}

function labelOf(subject: LeadSubject): string {
  return typeof subject === 'string' ? SIGNALS[subject].label : streamRowLabel(subject.stream);
}

/**
 * `leads` crossed at least `bySeconds` before `before`. Both must have crossed (from below):
 * a later signal that never crossed, or has no data, proves nothing about which came first,
 * unless the scenario says so explicitly (`passIfLaterNeverCrosses`, and then only when the
 * later signal has data and stayed below). Either side may be a named stream's P99 row.
 */
export function evaluateLead(e: LeadExpectation, rows: LeadTimeRow[]): ExpectationResult {
  const lead = rowOf(rows, e.leads);
  const later = rowOf(rows, e.before);
  const by = e.bySeconds ?? 0;
  // Sustained crossings only: an intermittent spike is not a turn (lead-times.ts).
  const leadAt = lead?.firstSustainedCrossingSeconds ?? null;
  const laterAt = later?.firstSustainedCrossingSeconds ?? null;
  const observed = leadAt !== null && laterAt !== null ? laterAt - leadAt : null;
  let passed = observed !== null && observed >= by;
  let notObserved: string | undefined;
  // A stream that sent nothing has no row: it has no data.
  const leadStatus = lead?.status ?? 'no-data';
  const laterStatus = later?.status ?? 'no-data';
  if (leadStatus !== 'crossed') notObserved = `${labelOf(e.leads)} ${STATUS_TEXT[leadStatus]}`;
  else if (laterStatus !== 'crossed') {
    if (e.passIfLaterNeverCrosses && (laterStatus === 'never' || laterStatus === 'before-onset')) passed = true;
    else notObserved = `${labelOf(e.before)} ${STATUS_TEXT[laterStatus]}`;
  }
  return {
    kind: 'lead',
    description: `${labelOf(e.leads)} crosses its threshold at least ${by} s before ${labelOf(e.before)}${e.passIfLaterNeverCrosses ? ' (or the latter never does)' : ''}`,
    signal: typeof e.leads === 'string' ? e.leads : 'rampP99',
    ...(typeof e.leads === 'string' ? {} : { stream: e.leads.stream }),
    observed,
    ...(notObserved ? { notObserved } : {}),
    passed,
    ...(e.why ? { why: e.why } : {}),
  };
}

/** One stream's P99 (rampP99: from the intended send time) or error rate (errorRate) over a window. */
function streamFigure(timeline: Timeline, stream: string, signal: SignalId, window: Window): Reading | null {
  const merged = timeline.streamWindow(stream, window.from, window.to);
  if (!merged) return null;
  if (signal === 'errorRate') {
    const total = merged.ok + merged.errors + merged.timeouts;
    return total > 0 ? exact((merged.errors + merged.timeouts) / total) : null;
  }
  return clientQuantile(merged, 0.99);
}

export function evaluate(expectations: Expectation[], ctx: EvaluationContext): ExpectationResult[] {
  return expectations.map((e): ExpectationResult => {
    if (isLeadExpectation(e)) return evaluateLead(e, ctx.leadTimes);
    const phase = ctx.phases.find((p) => p.name === e.phase) as PhaseReport;
    const stat = (e.stat ?? SIGNALS[e.signal].phaseStat) as Stat;
    const figure = (window: Window): Reading | null =>
      e.stream === undefined
        ? summarise(ctx.timeline, ctx.readings, e.signal, window, stat)
        : streamFigure(ctx.timeline, e.stream, e.signal, window);
    const observed = figure(windowOf(phase));
    const resolve = (bound: Bound, side: 'above' | 'below'): number | null => {
      if (typeof bound === 'number') return bound;
      const other = ctx.phases.find((p) => p.name === bound.phase) as PhaseReport;
      const base = figure(windowOf(other));
      if (base === null) return null;
      // "Above 5x baseline" must beat the baseline's highest possible value; "below" its lowest.
      const value = (side === 'above' ? base.hi : base.lo) * bound.factor;
      return Number.isFinite(value) ? value : null;
    };
    const above = e.above === undefined ? undefined : resolve(e.above, 'above');
    const below = e.below === undefined ? undefined : resolve(e.below, 'below');
    const passed =
      observed !== null &&
      (above === undefined || (above !== null && certainlyAbove(observed, above))) &&
      (below === undefined || (below !== null && certainlyBelow(observed, below)));
    const parts: string[] = [];
    const describeBound = (word: string, raw: typeof e.above, value: number | null | undefined): string =>
      typeof raw === 'object'
        ? `${word} ${raw.factor}× its ${raw.phase} value (${formatSignal(e.signal, value)})`
        : `${word} ${formatSignal(e.signal, value)}`;
    if (e.above !== undefined) parts.push(describeBound('above', e.above, above));
    if (e.below !== undefined) parts.push(describeBound('below', e.below, below));
    const value = toReportValue(observed as Reading | null);
    const what =
      e.stream === undefined
        ? `${SIGNALS[e.signal].label} (${stat})`
        : `stream ${e.stream} ${e.signal === 'errorRate' ? 'error rate' : 'P99'}`;
    return {
      kind: 'threshold',
      description: `${e.phase}: ${what} ${parts.join(' and ')}`,
      phase: e.phase,
      ...(e.stream === undefined ? {} : { stream: e.stream }),
      signal: e.signal,
      stat,
      ...(typeof above === 'number' ? { above } : {}),
      ...(typeof below === 'number' ? { below } : {}),
      observed: value.value,
      ...(value.lower === undefined ? {} : { observedLower: value.lower }),
      passed,
      ...(e.why ? { why: e.why } : {}),
    };
  });
}
