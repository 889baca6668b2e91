// The Prometheus side, checked with Debian's real promtool: the config (and every rule file it
// loads, alerts.yml included) and the rule unit tests in prometheus/tests/. Plus what promtool
// cannot know: every recording rule has a test, reads only contract metrics, and the config stays
// simple enough for `lab up` to rewrite for a native run.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  parsePromql,
  SYNTHETIC_SERIES,
  durationMs,
  prometheusConfig,
  readText,
  readYaml,
  recordingRules,
  repoPath,
  scrapeTargets,
  run,
} from '@runtime-lab/test-kit';

const ruleTestFiles = readdirSync(repoPath('prometheus/tests'))
  .filter((name) => name.endsWith('.test.yml') && name !== 'alerts.test.yml') // alerts.test.yml: packages/audit's alerts.test.ts runs it
  .sort()
  .map((name) => `prometheus/tests/${name}`);

/** Metric names written in backticks in docs/metrics.md, the contract every part agrees on. */
function contractMetrics(): Set<string> {
  const names = new Set<string>();
  for (const match of readText('docs/metrics.md').matchAll(/`([a-z_][a-z0-9_]*)`/g)) names.add(match[1] as string);
  return names;
}

/** The family a sample name belongs to: x_bucket / x_sum / x_count -> x. */
function familyOf(name: string, contract: Set<string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix) && contract.has(name.slice(0, -suffix.length))) return name.slice(0, -suffix.length);
  }
  return name;
}

describe('prometheus config and rules (promtool)', () => {
  it('promtool check config accepts prometheus.yml and every rule file it loads', () => {
    const result = run('promtool', ['check', 'config', 'prometheus/prometheus.yml']);
    const output = result.stdout + result.stderr;
    assert.equal(result.status, 0, output);
    assert.match(output, /Checking prometheus\/rules\/recording\.yml\s+SUCCESS: \d+ rules found/);
  });

  it('promtool test rules passes every prometheus/tests/*.test.yml', () => {
    assert.ok(ruleTestFiles.includes('prometheus/tests/recording.test.yml'), ruleTestFiles.join(', '));
    const result = run('promtool', ['test', 'rules', ...ruleTestFiles]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.equal((result.stdout.match(/SUCCESS/g) ?? []).length, ruleTestFiles.length, result.stdout);
  });

  it('has a promtool test case for every recording rule', () => {
    interface RuleTests {
      tests: Array<{ promql_expr_test?: Array<{ expr: string }> }>;
    }
    const tested = new Set(
      readYaml<RuleTests>('prometheus/tests/recording.test.yml').tests.flatMap((t) =>
        (t.promql_expr_test ?? []).flatMap((case_) => parsePromql(case_.expr).metrics),
      ),
    );
    const untested = recordingRules()
      .map((r) => r.record)
      .filter((record) => !tested.has(record));
    assert.deepEqual(untested, []);
  });

  it('keeps recording.yml alert-free, with unique names that read only contract metrics', () => {
    const rules = recordingRules();
    const names = rules.map((r) => r.record);
    assert.equal(new Set(names).size, names.length, 'duplicate record names');
    const contract = contractMetrics();
    const problems: string[] = [];
    for (const rule of rules) {
      assert.match(rule.record, /^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/, `${rule.record}: level:metric:operation`);
      const { errors, metrics } = parsePromql(rule.expr);
      problems.push(...errors.map((e) => `${rule.record}: ${e}`));
      for (const metric of metrics) {
        if (!SYNTHETIC_SERIES.has(metric) && !contract.has(familyOf(metric, contract))) {
          problems.push(`${rule.record}: reads ${metric}, which docs/metrics.md does not define`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it('scrapes every 2 s or faster and stays simple enough for `lab up` to rewrite', () => {
    const config = prometheusConfig();
    assert.ok(durationMs(config.global.scrape_interval) <= 2000, 'scrape_interval <= 2s');
    assert.ok(
      durationMs(config.global.evaluation_interval) <= durationMs(config.global.scrape_interval),
      'rules evaluate at least once per scrape',
    );
    assert.ok(
      durationMs(config.global.scrape_timeout ?? '10s') <= durationMs(config.global.scrape_interval),
      'scrape_timeout <= scrape_interval',
    );
    assert.deepEqual(config.rule_files, ['rules/*.yml'], 'one relative glob, made absolute by lab up');
    const targets = scrapeTargets(config);
    assert.deepEqual([...targets.keys()].sort(), ['api', 'downstream', 'prometheus', 'runner']);
    const ports: string[] = [];
    for (const job of config.scrape_configs) {
      const keys = Object.keys(job).filter((k) => !['job_name', 'static_configs'].includes(k));
      assert.deepEqual(keys, [], `${job.job_name}: only job_name and static_configs, so the target rewrite is a string substitution`);
      for (const target of targets.get(job.job_name) ?? []) {
        const match = /^([a-z0-9.-]+):(\d+)$/.exec(target);
        assert.ok(match, `${job.job_name}: target ${target} is host:port`);
        ports.push(match[2] as string);
      }
    }
    // On 127.0.0.1 the hosts collapse into one: the ports alone must tell the targets apart.
    assert.equal(new Set(ports).size, ports.length, `distinct target ports: ${ports.join(', ')}`);
  });
});
