// Evaluates a scenario's expectations against the phase summaries and the lead times.
import type { Bound, Expectation } from '../define.js';
import { isLeadExpectation } from '../define.js';
import type { ExpectationResult, LeadTimeRow, PhaseReport, Series } from '../report/schema.js';
import { SIGNALS, formatSignal } from '../signals.js';
import { type Stat, summarise, type Window } from './summary.js';
import type { Timeline } from './timeline.js';

export interface EvaluationContext {
  timeline: Timeline;
  series: Series;
  phases: PhaseReport[];
  leadTimes: LeadTimeRow[];
}

function windowOf(phase: PhaseReport): Window {
  return { from: phase.startSeconds + phase.settleSeconds, to: phase.startSeconds + phase.durationSeconds };
}

export function evaluate(expectations: Expectation[], ctx: EvaluationContext): ExpectationResult[] {
  return expectations.map((e): ExpectationResult => {
    if (isLeadExpectation(e)) {
      const lead = ctx.leadTimes.find((r) => r.signal === e.leads);
      const later = ctx.leadTimes.find((r) => r.signal === e.before);
      const by = e.bySeconds ?? 0;
      const observed =
        lead?.firstCrossingSeconds != null && later?.firstCrossingSeconds != null ? later.firstCrossingSeconds - lead.firstCrossingSeconds : null;
      // A leading signal that crossed while the later one never did has led by the whole run.
      const passed = lead?.firstCrossingSeconds != null && (later?.firstCrossingSeconds == null || (observed !== null && observed >= by));
      return {
        kind: 'lead',
        description: `${SIGNALS[e.leads].label} crosses its threshold at least ${by} s before ${SIGNALS[e.before].label}`,
        signal: e.leads,
        observed,
        passed,
        ...(e.why ? { why: e.why } : {}),
      };
    }
    const phase = ctx.phases.find((p) => p.name === e.phase) as PhaseReport;
    const stat = (e.stat ?? SIGNALS[e.signal].phaseStat) as Stat;
    const observed = summarise(ctx.timeline, ctx.series, e.signal, windowOf(phase), stat);
    const resolve = (bound: Bound): number | null => {
      if (typeof bound === 'number') return bound;
      const other = ctx.phases.find((p) => p.name === bound.phase) as PhaseReport;
      const base = summarise(ctx.timeline, ctx.series, e.signal, windowOf(other), stat);
      return base === null ? null : base * bound.factor;
    };
    const above = e.above === undefined ? undefined : resolve(e.above);
    const below = e.below === undefined ? undefined : resolve(e.below);
    const passed =
      observed !== null &&
      (above === undefined || (above !== null && observed > above)) &&
      (below === undefined || (below !== null && observed < below));
    const parts: string[] = [];
    const describeBound = (word: string, raw: typeof e.above, value: number | null | undefined): string =>
      typeof raw === 'object' ? `${word} ${raw.factor}× its ${raw.phase} value (${formatSignal(e.signal, value)})` : `${word} ${formatSignal(e.signal, value)}`;
    if (e.above !== undefined) parts.push(describeBound('above', e.above, above));
    if (e.below !== undefined) parts.push(describeBound('below', e.below, below));
    return {
      kind: 'threshold',
      description: `${e.phase}: ${SIGNALS[e.signal].label} (${stat}) ${parts.join(' and ')}`,
      phase: e.phase,
      signal: e.signal,
      stat,
      ...(typeof above === 'number' ? { above } : {}),
      ...(typeof below === 'number' ? { below } : {}),
      observed,
      passed,
      ...(e.why ? { why: e.why } : {}),
    };
  });
}
