// The shortest audit that can raise every enabled rule's finding, derived from the loaded
// thresholds. Shorter, an audit could only ever print HEALTHY: for a CI gate, a silent false pass.
import { formatDuration } from './duration.js';
import { AuditError } from './errors.js';
import { RULE_IDS, type RuleId } from './rules.js';
import type { Thresholds } from './thresholds.js';

/** The enabled rule with the longest `for:` (seconds), or undefined when every rule is off. */
export function longestFor(thresholds: Thresholds): { rule: RuleId; seconds: number } | undefined {
  let longest: { rule: RuleId; seconds: number } | undefined;
  for (const rule of RULE_IDS) {
    const limits = thresholds.rules[rule];
    if (limits.enabled && (!longest || limits.forSeconds > longest.seconds)) longest = { rule, seconds: limits.forSeconds };
  }
  return longest;
}

/**
 * Seconds of scraping that `--metrics` needs before a finding can be raised: rates exist only
 * once the scrapes span half the range (scrape-points.ts), then the value must hold for the
 * longest `for:`, and points sit on the scrape grid, so each of the two ends can round up by
 * up to one interval: half the range + longest for + one scrape interval.
 */
export function minimumDurationSeconds(thresholds: Thresholds, intervalSeconds: number): number {
  return Math.max(1, thresholds.rangeSeconds / 2) + (longestFor(thresholds)?.seconds ?? 0) + intervalSeconds;
}

/**
 * Seconds of `--window` that `--prometheus` needs: Prometheus already holds the range before the
 * window starts, so the longest `for:` plus one query step (points sit on the step grid).
 */
export function minimumWindowSeconds(thresholds: Thresholds, stepSeconds: number): number {
  return (longestFor(thresholds)?.seconds ?? 0) + stepSeconds;
}

function forText(thresholds: Thresholds): string {
  const longest = longestFor(thresholds);
  return longest ? `the longest for: ${formatDuration(longest.seconds)} (${longest.rule})` : 'no enabled rule';
}

/** Throws LAB_AUDIT_USAGE (exit 2) when --duration cannot raise a finding; says the minimum and why. */
export function checkDuration(thresholds: Thresholds, durationSeconds: number, intervalSeconds: number): void {
  const minimum = minimumDurationSeconds(thresholds, intervalSeconds);
  if (durationSeconds >= minimum) return;
  throw new AuditError(
    'LAB_AUDIT_USAGE',
    `--duration ${formatDuration(durationSeconds)} is too short to raise any finding with ${thresholds.file}: rates need ${formatDuration(Math.max(1, thresholds.rangeSeconds / 2))} of scrapes (half the range ${formatDuration(thresholds.rangeSeconds)}), then ${forText(thresholds)}, plus one scrape interval (${formatDuration(intervalSeconds)}); use ${formatDuration(minimum)} or more`,
  );
}

/** Throws LAB_AUDIT_USAGE (exit 2) when --window cannot raise a finding; says the minimum and why. */
export function checkWindow(thresholds: Thresholds, windowSeconds: number, stepSeconds: number): void {
  const minimum = minimumWindowSeconds(thresholds, stepSeconds);
  if (windowSeconds >= minimum) return;
  throw new AuditError(
    'LAB_AUDIT_USAGE',
    `--window ${formatDuration(windowSeconds)} is too short to raise any finding with ${thresholds.file}: a value must hold for ${forText(thresholds)}, plus one query step (${formatDuration(stepSeconds)}); use ${formatDuration(minimum)} or more`,
  );
}
