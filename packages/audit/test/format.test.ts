// The three formats on a hand-made report: what a CI log, a script and a test tab each get.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildReport, formatJson, formatJunit, formatText, parseThresholds, type Series, type SourceInfo } from '../src/index.js';
import { ROOT } from './helpers.js';

const thresholds = parseThresholds(
  readFileSync(join(ROOT, 'prometheus/thresholds.yml'), 'utf8').replace(/(stale_snapshot:\n)/, '$1    enabled: false\n'),
  'thresholds.yml',
);
// 2026-11-29T18:46:00Z: points are epoch seconds, reported as RFC 3339 UTC times.
const T0 = Date.UTC(2026, 10, 29, 18, 46, 0) / 1000;
const source: SourceInfo = {
  kind: 'prometheus',
  urls: ['http://prom:9090'],
  detail: 'window 20s',
  startMs: T0 * 1000,
  endMs: T0 * 1000 + 20_000,
};
const at = (values: number[]) => values.map((v, i) => ({ t: T0 + i * 2, v }));
const series = (rule: Series['rule'], values: number[], labels: Record<string, string> = { job: 'api', instance: 'api:9464' }): Series => ({
  rule,
  labels,
  points: at(values),
  query: `q_${rule}`,
  stepSeconds: 2,
});

const report = buildReport(
  [
    series('backlog_growth', [30, 40, 60, 250, 80, 60]),
    series('event_loop_starvation', [0.9, 0.9, 0.9, 0.9, 0.9]),
    series('elu_saturation', [0.2, 0.3, 0.9, 0.2]),
    series('executor_queue', [0, 0, 0], { job: 'api', instance: 'api:9464', pool: 'report' }),
    series('threadpool_starvation', [Number.NaN, 0.001]),
  ],
  thresholds,
  source,
  'critical',
);

test('text: banner, one block per finding, ok lines with near misses, no data and disabled rules', () => {
  const text = formatText(report);
  assert.match(
    text,
    /^lab audit: CRITICAL \(2 findings, 1 at or above --fail-on critical\)\n {2}source {6}prometheus http:\/\/prom:9090\n/,
  );
  // Findings in severity order, then rule order.
  assert.ok(text.indexOf('CRITICAL  EventLoopStarvation') < text.indexOf('DEGRADED  BacklogGrowth'));
  assert.match(
    text,
    /CRITICAL {2}EventLoopStarvation \(event-loop starvation\) on api api:9464\n {2}evidence {2}worst event-loop delay 900ms >= critical 500ms, held 8s \(for: 6s\)\n {2}when {6}held from 2026-11-29T18:46:00Z, still at the end of the window; first >= degraded at 2026-11-29T18:46:00Z, first >= critical at 2026-11-29T18:46:00Z\n {2}query {5}q_event_loop_starvation\n {2}why {7}The main thread/,
  );
  // 250 calls passes critical 200 at one step only: said, not counted.
  assert.match(
    text,
    /evidence {2}downstream calls queued in the checkout backlog 250 calls >= degraded 20 calls, held 10s \(for: 4s; critical 200 calls reached but held only 0ms < for: 4s\)\n {2}when {6}held from 2026-11-29T18:46:00Z, still at the end of the window; first >= degraded at 2026-11-29T18:46:00Z, first >= critical at 2026-11-29T18:46:06Z\n/,
  );
  assert.match(text, /^ {2}window {6}2026-11-29T18:46:00Z to 2026-11-29T18:46:20Z$/m);
  assert.match(
    text,
    /^ok {8}EventLoopUtilizationSaturated on api api:9464: event-loop utilization peaked at 90% \(degraded at 80%; degraded 80% reached but held only 0ms < for: 4s\) \(held from 2026-11-29T18:46:04Z to 2026-11-29T18:46:04Z; first >= degraded at 2026-11-29T18:46:04Z, never >= critical\)$/m,
  );
  assert.match(
    text,
    /^ok {8}ExecutorQueueAmplification on api api:9464 pool=report: tasks waiting per worker thread peaked at 0 tasks\/worker/m,
  );
  assert.match(text, /^no data {3}ConcurrencySaturation: the source has no increase of runtime_pool_run_seconds_sum/m);
  assert.match(text, /^no data {3}ScrapeGaps/m);
  assert.match(text, /^disabled {2}StaleSnapshot$/m);
  assert.match(text, /audited 20s of data: critical runtime; exit 1\n$/);
});

test('json: findings and checks with values, NaN-free, exit code and lists of rules without data', () => {
  const json = JSON.parse(formatJson(report)) as Record<string, unknown> & {
    findings: Array<Record<string, unknown>>;
    checks: Array<Record<string, unknown>>;
  };
  assert.equal(json.status, 'critical');
  assert.equal(json.exitCode, 1);
  assert.deepEqual(
    json.findings.map((f) => [f.alert, f.status, f.value]),
    [
      ['EventLoopStarvation', 'critical', 0.9],
      ['BacklogGrowth', 'degraded', 250],
    ],
  );
  assert.deepEqual(json.findings[1]?.reached, { level: 'critical', threshold: 200, heldSeconds: 0 });
  // Every finding says when, as absolute times with their offset.
  assert.deepEqual(
    json.findings.map((f) => [f.heldFrom, f.heldUntil, f.firstAtOrAbove]),
    [
      ['2026-11-29T18:46:00Z', null, { degraded: '2026-11-29T18:46:00Z', critical: '2026-11-29T18:46:00Z' }],
      ['2026-11-29T18:46:00Z', null, { degraded: '2026-11-29T18:46:00Z', critical: '2026-11-29T18:46:06Z' }],
    ],
  );
  const elu = json.checks.find((c) => c.alert === 'EventLoopUtilizationSaturated');
  assert.deepEqual(
    [elu?.heldFrom, elu?.heldUntil, elu?.firstAtOrAbove],
    ['2026-11-29T18:46:04Z', '2026-11-29T18:46:04Z', { degraded: '2026-11-29T18:46:04Z', critical: null }],
  );
  assert.deepEqual((json.source as Record<string, unknown>).start, '2026-11-29T18:46:00Z');
  assert.deepEqual((json.source as Record<string, unknown>).end, '2026-11-29T18:46:20Z');
  assert.equal(json.checks.length, 5);
  assert.deepEqual(json.noData, ['concurrency_saturation', 'scrape_gaps']);
  assert.deepEqual(json.disabled, ['stale_snapshot']);
  assert.ok(!formatJson(report).includes('NaN'));
});

test('junit: a failure per finding at --fail-on, system-out below it, skipped for no data; degraded fails with --fail-on degraded', () => {
  const xml = formatJunit(report);
  assert.match(xml, /<testsuites name="lab audit" tests="7" failures="1" errors="0" skipped="2">/);
  assert.equal((xml.match(/<failure /g) ?? []).length, 1);
  assert.equal((xml.match(/<skipped /g) ?? []).length, 2);
  assert.equal((xml.match(/<testcase /g) ?? []).length, 7);
  assert.doesNotMatch(xml, /[<>]=/, 'comparison signs are escaped');
  // The suite's start, with its offset (not the end, not a zone-less time).
  assert.match(xml, /<testsuite [^>]* timestamp="2026-11-29T18:46:00Z" time="20.000">/);
  assert.match(
    xml,
    /<failure type="critical"[^>]*>[^<]*when: held from 2026-11-29T18:46:00Z, still at the end of the window; first &gt;= degraded at 2026-11-29T18:46:00Z/,
  );
  const strict = formatJunit({ ...report, failOn: 'degraded' });
  assert.equal((strict.match(/<failure /g) ?? []).length, 2);
  assert.match(strict, /<failure type="degraded" message="DEGRADED: downstream calls queued/);
});
