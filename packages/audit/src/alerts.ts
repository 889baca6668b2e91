// Renders prometheus/rules/alerts.yml from the thresholds and the rule catalogue: per enabled rule
// one alert per severity, both named after the rule, told apart by the `severity` label.

import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { formatDuration } from './duration.js';
import { RULE_IDS, RULES, type RuleDefinition } from './rules.js';
import type { Thresholds } from './thresholds.js';
import { formatValue, valueTemplate } from './units.js';

export const ALERT_GROUP = 'runtime-lab-alerts';

/** <repo>/prometheus/rules/alerts.yml (this file is dist/src/alerts.js). */
export function alertRulesPath(): string {
  return fileURLToPath(new URL('../../../../prometheus/rules/alerts.yml', import.meta.url));
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** The alerting rules for the given thresholds, in file order. */
export function alertRules(thresholds: Thresholds): AlertRule[] {
  const out: AlertRule[] = [];
  const range = formatDuration(thresholds.rangeSeconds);
  for (const id of RULE_IDS) {
    const rule = RULES[id];
    const limits = thresholds.rules[id];
    if (!limits.enabled) continue;
    const value = rule.promql(limits.selector, range);
    const levels: Array<['degraded' | 'critical', number]> = [['critical', limits.critical]];
    // With equal thresholds a degraded alert would only ever fire next to the critical one.
    if (limits.degraded < limits.critical) levels.unshift(['degraded', limits.degraded]);
    for (const [severity, threshold] of levels) {
      out.push({
        alert: rule.alert,
        expr: `(${value}) >= ${threshold}`,
        ...(limits.forSeconds > 0 ? { for: formatDuration(limits.forSeconds) } : {}),
        labels: { severity, audit_rule: id },
        annotations: {
          summary: `${targetTemplate(rule)}: ${rule.measures} ${valueTemplate(rule.unit)} (${severity} at ${formatValue(rule.unit, threshold)})`,
          description: `${rule.explanation} Hint: ${rule.hint}`,
        },
      });
    }
  }
  return out;
}

function targetTemplate(rule: RuleDefinition): string {
  const extra = rule.seriesLabels.map((label) => ` ${label} {{ $labels.${label} }}`).join('');
  return `{{ $labels.job }} {{ $labels.instance }}${extra}`;
}

/** The whole file, header included: what the generator writes and the staleness test compares. */
export function renderAlertRules(thresholds: Thresholds, sourceName = 'prometheus/thresholds.yml'): string {
  const header = [
    `# GENERATED from ${sourceName} by packages/audit (src/alerts.ts). Do not edit by hand:`,
    '# change the thresholds file, then run `node packages/audit/dist/src/generate-alerts.js`.',
    '# A test in packages/audit fails when this file is stale. Severity labels: degraded, critical.',
    '',
  ].join('\n');
  const body = stringify({ groups: [{ name: ALERT_GROUP, rules: alertRules(thresholds) }] }, { lineWidth: 0 });
  return `${header}${body}`;
}
