// Metric names are code (@runtime-lab/metric-names); the Prometheus rules and docs/metrics.md are
// text. These checks keep the text spelled like the code: a renamed metric fails here, not on a
// dashboard that silently shows "No data".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL_METRIC_NAMES, LAB_METRIC_NAMES, RUNTIME_METRIC_NAMES } from '@runtime-lab/metric-names';
import { parsePromql, readText, readYaml, recordingRules, SYNTHETIC_SERIES } from '@runtime-lab/test-kit';

const KNOWN = new Set(ALL_METRIC_NAMES);
const HISTOGRAM_SERIES = /_(bucket|sum|count)$/;

/** A scraped series name is known when it is a metric name or one of a histogram's series. */
function isKnownSeries(name: string): boolean {
  return KNOWN.has(name) || KNOWN.has(name.replace(HISTOGRAM_SERIES, ''));
}

/** Recorded names whose metric part is derived, not scraped: what each is computed from. */
const DERIVED: Record<string, string> = {
  runtime_http_requests: 'the request rate, from runtime_http_request_duration_seconds_count',
  runtime_eventloop_stalls: 'the stall rate, from runtime_eventloop_stall_duration_seconds_count',
};

/** `level:metric:operations`: the metric part, with a counter's `_total` dropped as the naming rules ask. */
function isKnownRecordedMetric(metric: string): boolean {
  return KNOWN.has(metric) || KNOWN.has(`${metric}_total`) || SYNTHETIC_SERIES.has(metric) || metric in DERIVED;
}

interface RuleFile {
  groups: Array<{ rules: Array<{ record?: string; alert?: string; expr: string }> }>;
}

test('every series the recording and alert rules read, and every recorded name, is a metric name from @runtime-lab/metric-names', () => {
  const records = new Set(recordingRules().map((rule) => rule.record));
  const exprs = [
    ...recordingRules().map((rule) => ({ rule: rule.record, expr: rule.expr })),
    ...readYaml<RuleFile>('prometheus/rules/alerts.yml').groups.flatMap((group) =>
      group.rules.map((rule) => ({ rule: rule.alert ?? rule.record ?? '?', expr: rule.expr })),
    ),
  ];
  const unknown: string[] = [];
  for (const { rule, expr } of exprs) {
    for (const metric of parsePromql(expr).metrics) {
      if (records.has(metric) || SYNTHETIC_SERIES.has(metric) || isKnownSeries(metric)) continue;
      unknown.push(`${rule} reads ${metric}`);
    }
  }
  for (const record of records) {
    const metric = record.split(':')[1] ?? '';
    if (!isKnownRecordedMetric(metric)) unknown.push(`recording rule ${record} names ${metric}`);
  }
  assert.ok(exprs.length > 20, `expected the committed rules, found ${exprs.length} expressions`);
  assert.deepEqual(unknown, []);
});

test('docs/metrics.md documents exactly the metric names the telemetry plugin and the lab register', () => {
  const documented = new Set([...readText('docs/metrics.md').matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]));
  const registered = [...RUNTIME_METRIC_NAMES, ...LAB_METRIC_NAMES];
  assert.deepEqual(
    registered.filter((name) => !documented.has(name)),
    [],
    'registered but not documented',
  );
  assert.deepEqual(
    [...documented].filter((name) => !KNOWN.has(name as string)),
    [],
    'documented but not in @runtime-lab/metric-names',
  );
});
