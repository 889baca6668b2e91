// What a set of Prometheus rule files needs as input, for replaying them over series read back
// from a Prometheus: the metric names their expressions select (parsed with Prometheus's own
// PromQL grammar, lezer-promql, so a label called like a metric or a function name is never
// mistaken for one), and how much history before the window they look at (the longest range,
// subquery or offset in an expression, plus the longest `for:` / `keep_firing_for:`).
import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';
import { parseDuration } from './duration.js';
import { AuditError } from './errors.js';

export interface RuleInputs {
  /** Metric names the expressions select, minus what the files record themselves and ALERTS. */
  metrics: string[];
  /** Seconds of history an alert needs to be in its settled state at the window's start. */
  lookbackSeconds: number;
}

interface RuleEntry {
  alert?: unknown;
  record?: unknown;
  expr?: unknown;
  for?: unknown;
  keep_firing_for?: unknown;
}

function rulesOf(file: string): RuleEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AuditError('LAB_AUDIT_USAGE', `--rules ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  let doc: { groups?: Array<{ rules?: RuleEntry[] }> } | null;
  try {
    doc = parse(text) as typeof doc;
  } catch (error) {
    throw new AuditError('LAB_AUDIT_USAGE', `--rules ${file}: not YAML (${(error as Error).message.split('\n')[0]})`);
  }
  if (!doc || !Array.isArray(doc.groups)) {
    throw new AuditError('LAB_AUDIT_USAGE', `--rules ${file}: not a Prometheus rule file (expected a top-level "groups:" list)`);
  }
  return doc.groups.flatMap((group) => (Array.isArray(group?.rules) ? group.rules : []));
}

function durationOf(value: unknown): number {
  return typeof value === 'string' ? (parseDuration(value) ?? 0) : 0;
}

/** Metric names and the longest duration literal in one PromQL expression. */
function scan(expr: string): { metrics: string[]; longestSeconds: number } {
  const metrics: string[] = [];
  let longestSeconds = 0;
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.name === 'VectorSelector') {
        const name = node.node.getChild('Identifier');
        if (name) metrics.push(expr.slice(name.from, name.to));
      } else if (node.type.name.startsWith('NumberDurationLiteral')) {
        longestSeconds = Math.max(longestSeconds, parseDuration(expr.slice(node.from, node.to)) ?? 0);
      }
    },
  });
  return { metrics, longestSeconds };
}

/** Reads the rule files (clear LAB_AUDIT_USAGE errors for a missing or malformed file). */
export function ruleInputs(ruleFiles: readonly string[]): RuleInputs {
  const selected = new Set<string>();
  const recorded = new Set<string>(['ALERTS', 'ALERTS_FOR_STATE']);
  let longestRange = 0;
  let longestHold = 0;
  for (const file of ruleFiles) {
    for (const rule of rulesOf(file)) {
      if (typeof rule.record === 'string') recorded.add(rule.record);
      if (typeof rule.expr !== 'string') continue;
      const { metrics, longestSeconds } = scan(rule.expr);
      for (const metric of metrics) selected.add(metric);
      longestRange = Math.max(longestRange, longestSeconds);
      longestHold = Math.max(longestHold, durationOf(rule.for) + durationOf(rule.keep_firing_for));
    }
  }
  return {
    metrics: [...selected].filter((m) => !recorded.has(m)).sort(),
    lookbackSeconds: longestRange + longestHold,
  };
}
