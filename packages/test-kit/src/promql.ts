// PromQL checks with Prometheus's own Lezer grammar (@prometheus-io/lezer-promql), the parser
// Prometheus's UI uses: syntax errors with their position, and the metric names a query reads.
import { parser } from '@prometheus-io/lezer-promql';

export interface ParsedQuery {
  /** "position N: near '...'" for every syntax error; empty when the query parses. */
  errors: string[];
  /** Metric names of every vector selector, in order of appearance, without duplicates. */
  metrics: string[];
}

export function parsePromql(expr: string): ParsedQuery {
  const errors: string[] = [];
  const metrics: string[] = [];
  if (expr.trim() === '') return { errors: ['empty query'], metrics };
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) {
        const near = expr.slice(Math.max(0, node.from - 10), node.to + 10);
        errors.push(`position ${node.from}: near '${near}'`);
      }
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        const name = expr.slice(node.from, node.to);
        if (!metrics.includes(name)) metrics.push(name);
      }
    },
  });
  return { errors, metrics };
}

/** Series Prometheus makes itself (not scraped from a target). */
export const SYNTHETIC_SERIES = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'ALERTS', 'ALERTS_FOR_STATE']);
