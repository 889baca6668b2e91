// A module's expected observations, checked against a real run's report.json, so the module's
// text cannot drift from what the lab shows. A bucket-bound value is checked on the side that
// cannot flatter it: `above` uses the lower bound (summaryLower), `below` the upper bound.
import type { Report } from '@runtime-lab/scenarios';
import type { ObservationCheck, WorkshopModule } from './modules.js';

export interface CheckResult {
  observation: string;
  check: ObservationCheck;
  passed: boolean;
  /** The value the check compared (seconds, ratio or count), null when the report has none. */
  observed: number | null;
  problem?: string;
}

export function checkObservations(module: WorkshopModule, report: Report): CheckResult[] {
  const results: CheckResult[] = [];
  for (const o of module.observations) {
    for (const check of o.checks) {
      const phase = report.phases.find((p) => p.name === check.phase);
      if (!phase) {
        results.push({ observation: o.text, check, passed: false, observed: null, problem: `the report has no phase "${check.phase}"` });
        continue;
      }
      const upper = phase.summary[check.signal];
      const lower = phase.summaryLower?.[check.signal] ?? upper;
      let passed = true;
      const problems: string[] = [];
      if (check.above !== undefined && !(lower !== null && lower !== undefined && lower > check.above)) {
        passed = false;
        problems.push(`not above ${check.above} (lower bound ${lower ?? 'none'})`);
      }
      // An upper bound of null beside a lower bound means "unbounded above": never below anything.
      if (check.below !== undefined && !(upper !== null && upper < check.below)) {
        passed = false;
        problems.push(`not below ${check.below} (upper bound ${upper ?? 'none'})`);
      }
      results.push({
        observation: o.text,
        check,
        passed,
        observed: check.above !== undefined ? (lower ?? null) : upper,
        ...(problems.length ? { problem: problems.join('; ') } : {}),
      });
    }
  }
  return results;
}
