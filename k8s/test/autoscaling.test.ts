// The KEDA triggers' queries, evaluated by the real Prometheus rule engine (promtool test rules)
// on synthetic series from three api pods: each must read the per-pod average (sum over the
// lab's api pods divided by their number), not the sum, and ignore other jobs and namespaces.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { run } from '@runtime-lab/test-kit';
import { stringify } from 'yaml';
import { apiScaledObject, ELU_PER_POD_QUERY, INFLIGHT_PER_POD_QUERY, NAMESPACE } from '../src/index.js';

function promtoolTest(
  rules: Record<string, string>,
  series: Array<{ series: string; values: string }>,
  expected: Record<string, number>,
): { status: number; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-keda-'));
  try {
    writeFileSync(
      join(dir, 'rules.yml'),
      stringify({ groups: [{ name: 'keda', rules: Object.entries(rules).map(([record, expr]) => ({ record, expr })) }] }),
    );
    const tests = {
      rule_files: ['rules.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: series,
          promql_expr_test: Object.entries(expected).map(([record, value]) => ({
            expr: record,
            eval_time: '1m',
            exp_samples: [{ labels: record, value }],
          })),
        },
      ],
    };
    writeFileSync(join(dir, 'tests.yml'), stringify(tests));
    const result = run('promtool', ['test', 'rules', 'tests.yml'], { cwd: dir });
    return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pod = (metric: string, name: string, value: number, labels = `namespace="${NAMESPACE}",job="api"`) => ({
  series: `${metric}{${labels},pod="${name}"}`,
  values: `${value} ${value}`,
});

describe('KEDA triggers scale on the per-pod average', () => {
  it('in-flight and ELU queries divide the sum over api pods by the number of pods', () => {
    const series = [
      pod('runtime_http_requests_inflight', 'api-a', 2),
      pod('runtime_http_requests_inflight', 'api-b', 4),
      pod('runtime_http_requests_inflight', 'api-c', 12),
      pod('runtime_http_requests_inflight', 'downstream-a', 50, `namespace="${NAMESPACE}",job="downstream"`),
      pod('runtime_http_requests_inflight', 'api-elsewhere', 90, 'namespace="other",job="api"'),
      pod('runtime_eventloop_utilization_ratio', 'api-a', 0.25),
      pod('runtime_eventloop_utilization_ratio', 'api-b', 0.5),
      pod('runtime_eventloop_utilization_ratio', 'api-c', 0.75),
      pod('runtime_eventloop_utilization_ratio', 'downstream-a', 0.01, `namespace="${NAMESPACE}",job="downstream"`),
    ];
    const rules = { 'keda:inflight_per_pod': INFLIGHT_PER_POD_QUERY, 'keda:elu_per_pod': ELU_PER_POD_QUERY };
    const good = promtoolTest(rules, series, { 'keda:inflight_per_pod': 6, 'keda:elu_per_pod': 0.5 });
    assert.equal(good.status, 0, good.output);
    // The raw sum would be 18: the same check with it must fail, or the test proves nothing.
    const sum = promtoolTest(rules, series, { 'keda:inflight_per_pod': 18, 'keda:elu_per_pod': 0.5 });
    assert.notEqual(sum.status, 0, 'promtool accepted the raw sum: the query is not a per-pod average');
  });

  it('each trigger pairs its per-pod query with metricType Value (the HPA multiplies by the replicas)', () => {
    const triggers = apiScaledObject().spec.triggers;
    assert.deepEqual(
      triggers.map((t) => t.metadata.query),
      [INFLIGHT_PER_POD_QUERY, ELU_PER_POD_QUERY],
    );
    for (const t of triggers) {
      assert.equal(t.type, 'prometheus');
      assert.equal(t.metricType, 'Value', `${t.name}: AverageValue would divide the per-pod average by the replicas again`);
      assert.ok(Number(t.metadata.threshold) > 0, `${t.name}: threshold ${t.metadata.threshold}`);
    }
  });
});
