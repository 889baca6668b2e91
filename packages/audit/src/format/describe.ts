// Phrases shared by every output format, so text, JSON and JUnit say the same thing.

import { heldByText } from '../attribution.js';
import type { Check, Status } from '../evaluate.js';
import { formatDuration } from '../duration.js';
import { RULES } from '../rules.js';
import { formatValue } from '../units.js';

export const BANNER: Record<Status, string> = { healthy: 'HEALTHY', degraded: 'DEGRADED', critical: 'CRITICAL' };

/** "api 127.0.0.1:9464 pool=report", or the scraped URL for --metrics. */
export function targetOf(check: Check): string {
  const { job, instance, ...rest } = check.labels;
  const extra = Object.entries(rest).map(([k, v]) => `${k}=${v}`);
  return [job, instance, ...extra].filter((part) => part !== undefined && part !== '').join(' ');
}

/** Value versus threshold, e.g. "worst event-loop delay 812ms >= critical 500ms, held 9s (for: 2s)". */
export function evidenceOf(check: Check): string {
  const evidence = valueEvidence(check);
  return check.heldBy ? `${evidence}; ${heldByText(check.heldBy)}` : evidence;
}

function valueEvidence(check: Check): string {
  const rule = RULES[check.rule];
  if (check.peak === undefined) return `${rule.measures}: no value in the window`;
  const peak = formatValue(rule.unit, check.peak);
  const limit = formatValue(rule.unit, check.threshold);
  const forText = formatDuration(check.forSeconds);
  const reached = check.reached
    ? `; ${check.reached.level} ${formatValue(rule.unit, check.reached.threshold)} reached but held only ${formatValue('seconds', check.reached.heldSeconds)} < for: ${forText}`
    : '';
  if (check.status === 'healthy') return `${rule.measures} peaked at ${peak} (degraded at ${limit}${reached})`;
  return `${rule.measures} ${peak} >= ${check.status} ${limit}, held ${formatValue('seconds', check.heldSeconds)} (for: ${forText}${reached})`;
}
