// Phrases shared by every output format, so text, JSON and JUnit say the same thing.

import type { AlertEpisode, AlertSeries, AlertsSection } from '../alert-timeline.js';
import { heldByText } from '../attribution.js';
import type { Check, Status } from '../evaluate.js';
import { formatDuration } from '../duration.js';
import { RULES } from '../rules.js';
import { formatValue } from '../units.js';
import { formatInstant } from '@runtime-lab/values';

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

/** An epoch-seconds time as RFC 3339 UTC ("2026-11-29T18:47:01Z"), or null. */
export function instantOf(epochS: number | undefined): string | null {
  return epochS === undefined ? null : formatInstant(Math.round(epochS * 1000));
}

/** The absolute times of a check, as every format reports them. */
export interface CheckTimes {
  /** First point of the longest hold at or above the reported threshold. */
  heldFrom: string | null;
  /** Its last point at or above, or null when the hold lasted to the end of the window. */
  heldUntil: string | null;
  firstAtOrAbove: { degraded: string | null; critical: string | null };
}

export function timesOf(check: Check): CheckTimes {
  return {
    heldFrom: instantOf(check.held?.startS),
    heldUntil: instantOf(check.held?.endS),
    firstAtOrAbove: { degraded: instantOf(check.firstAtOrAbove.degraded), critical: instantOf(check.firstAtOrAbove.critical) },
  };
}

/**
 * When, in words: "held from 2026-11-29T18:46:20Z to 2026-11-29T18:46:34Z; first >= degraded at
 * 2026-11-29T18:46:18Z, first >= critical at 2026-11-29T18:46:20Z" (the thresholds are in the
 * evidence). Empty when the value never reached its degraded threshold.
 */
export function whenOf(check: Check): string {
  const times = timesOf(check);
  if (times.heldFrom === null) return '';
  const hold =
    times.heldUntil === null
      ? `held from ${times.heldFrom}, still at the end of the window`
      : `held from ${times.heldFrom} to ${times.heldUntil}`;
  const firsts = (['degraded', 'critical'] as const).map((level) => {
    const at = times.firstAtOrAbove[level];
    return at === null ? `never >= ${level}` : `first >= ${level} at ${at}`;
  });
  return `${hold}; ${firsts.join(', ')}`;
}

/** The alert series that belong to a check: same alert name, and every label of the check's target. */
export function alertsOfCheck(check: Check, alerts: readonly AlertSeries[]): AlertSeries[] {
  return alerts.filter(
    (alert) => alert.alertname === check.alert && Object.entries(check.labels).every(([key, value]) => alert.labels[key] === value),
  );
}

/** An episode's times, absolute (RFC 3339 UTC) and in seconds after `fromMs` (the finding's start), as JSON carries them. */
export interface EpisodeTimes {
  pendingAt: string;
  firingAt: string | null;
  resolvedAt: string | null;
  pendingAfterStartSeconds: number | null;
  firingAfterStartSeconds: number | null;
  resolvedAfterStartSeconds: number | null;
}

function after(atMs: number | null, fromMs: number | undefined): number | null {
  return atMs === null || fromMs === undefined ? null : Math.round(atMs - fromMs) / 1000;
}

export function episodeTimes(episode: AlertEpisode, fromMs: number | undefined): EpisodeTimes {
  return {
    pendingAt: formatInstant(episode.pendingAtMs),
    firingAt: episode.firingAtMs === null ? null : formatInstant(episode.firingAtMs),
    resolvedAt: episode.resolvedAtMs === null ? null : formatInstant(episode.resolvedAtMs),
    pendingAfterStartSeconds: after(episode.pendingAtMs, fromMs),
    firingAfterStartSeconds: after(episode.firingAtMs, fromMs),
    resolvedAfterStartSeconds: after(episode.resolvedAtMs, fromMs),
  };
}

function signed(seconds: number | null): string {
  if (seconds === null) return '';
  // Tenths of a second: the evaluation grid is no finer than that, and "+11s506ms" reads badly.
  return ` (${seconds >= 0 ? '+' : '-'}${Math.round(Math.abs(seconds) * 10) / 10}s)`;
}

/** "{severity=critical}": the alert's labels, without audit_rule and those the check's target already names. */
function distinguishing(alert: AlertSeries, check?: Check): string {
  const shown = Object.entries(alert.labels).filter(([key]) => key !== 'audit_rule' && !(check && key in check.labels));
  return shown.length === 0 ? '' : `{${shown.map(([k, v]) => `${k}=${v}`).join(',')}}`;
}

/**
 * One alert series in words: "EventLoopStarvation{severity=critical}: pending 2026-…Z (+0s),
 * firing 2026-…Z (+6s), resolved 2026-…Z (+14s)"; times relative to `fromMs` when given.
 */
export function alertLine(alert: AlertSeries, fromMs: number | undefined, check?: Check): string {
  const episodes = alert.episodes.map((e) => {
    const t = episodeTimes(e, fromMs);
    const firing = t.firingAt === null ? 'never firing' : `firing ${t.firingAt}${signed(t.firingAfterStartSeconds)}`;
    const resolved =
      t.resolvedAt === null ? 'still active at the end of the window' : `resolved ${t.resolvedAt}${signed(t.resolvedAfterStartSeconds)}`;
    return `pending ${t.pendingAt}${signed(t.pendingAfterStartSeconds)}, ${firing}, ${resolved}`;
  });
  return `${alert.alertname}${distinguishing(alert, check)}: ${episodes.join('; then ')}`;
}

/** Per check, its alerts in words, relative to the finding's start; "never fired" when none fired. */
export function checkAlertLines(check: Check, section: AlertsSection | undefined): string[] {
  if (!section) return [];
  if (!section.evaluated) return [`not evaluated (${section.reason})`];
  const mine = alertsOfCheck(check, section.alerts);
  const fromMs = check.held ? check.held.startS * 1000 : undefined;
  const lines = mine.map((alert) => alertLine(alert, fromMs, check));
  if (!mine.some((a) => a.episodes.some((e) => e.firingAtMs !== null)))
    lines.push(`${check.alert} never fired on this target in the window`);
  return lines;
}
