// A scenario's phases on the run's time axis: where each starts, how much of it is settle
// time, which one is "fault onset" for the lead times.
import type { Phase } from './define.js';

export interface PlannedPhase {
  phase: Phase;
  startSeconds: number;
  settleSeconds: number;
}

/** Settle time when a phase does not say: 1 s, or none for phases of 2 s or less (they would be half settle). */
export const DEFAULT_SETTLE_SECONDS = 1;

export function plan(phases: Phase[]): PlannedPhase[] {
  let start = 0;
  return phases.map((phase) => {
    const planned = {
      phase,
      startSeconds: start,
      settleSeconds: phase.settleSeconds ?? (phase.durationSeconds > DEFAULT_SETTLE_SECONDS + 1 ? DEFAULT_SETTLE_SECONDS : 0),
    };
    start += phase.durationSeconds;
    return planned;
  });
}

/**
 * The phase marked `onset`, else the first that switches a fault on; undefined when there is
 * neither (a scenario without a fault: its first crossings count from the start of the run).
 * Load is not an onset: a stream that starts in an earlier phase is part of what "before" means.
 */
export function onsetOf(phases: PlannedPhase[]): PlannedPhase | undefined {
  return phases.find((p) => p.phase.onset) ?? phases.find((p) => Object.keys(p.phase.faults ?? {}).length > 0);
}

/** Name of the phase second `bin` belongs to. */
export function phaseAt(phases: PlannedPhase[], bin: number): string {
  let name = phases[0]?.phase.name ?? '';
  for (const p of phases) if (bin >= p.startSeconds) name = p.phase.name;
  return name;
}
