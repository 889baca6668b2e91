import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parser } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';
import { alertRules, renderAlertRules } from '../src/alerts.js';
import { RULE_IDS, RULES } from '../src/rules.js';
import { loadThresholds, parseThresholds } from '../src/thresholds.js';
import { hasBinary, ROOT } from './helpers.js';

const NO_PROMTOOL = hasBinary('promtool') ? false : 'promtool not installed (run scripts/install-system-deps.sh)';

test('committed prometheus/rules/alerts.yml is what thresholds.yml generates (not stale)', () => {
  const committed = readFileSync(join(ROOT, 'prometheus/rules/alerts.yml'), 'utf8');
  const expected = renderAlertRules(loadThresholds(join(ROOT, 'prometheus/thresholds.yml')));
  assert.ok(
    committed === expected,
    'prometheus/rules/alerts.yml is stale: run `node packages/audit/dist/src/generate-alerts.js` and commit the result',
  );
});

test('every enabled rule yields a degraded and a critical alert carrying its thresholds and for:', () => {
  const thresholds = loadThresholds(join(ROOT, 'prometheus/thresholds.yml'));
  const rules = alertRules(thresholds);
  for (const id of RULE_IDS) {
    const limits = thresholds.rules[id];
    const mine = rules.filter((r) => r.labels.audit_rule === id);
    assert.deepEqual(
      mine.map((r) => r.labels.severity),
      ['degraded', 'critical'],
      id,
    );
    assert.ok(mine.every((r) => r.alert === RULES[id].alert));
    assert.ok(mine[0]?.expr.endsWith(`>= ${limits.degraded}`), `${id}: ${mine[0]?.expr}`);
    assert.ok(mine[1]?.expr.endsWith(`>= ${limits.critical}`), `${id}: ${mine[1]?.expr}`);
  }
  assert.ok(
    rules.some((r) => r.alert === 'EventLoopStarvation'),
    'the blocking scenario relies on EventLoopStarvation',
  );
});

test('thresholds drive the generated rules: disabled rules vanish, equal levels give one alert', () => {
  const text = readFileSync(join(ROOT, 'prometheus/thresholds.yml'), 'utf8')
    .replace(/(elu_saturation:\n)/, '$1    enabled: false\n')
    .replace(/(backlog_growth:\n\s+degraded: )20/, '$1200')
    .replace(/^range: 10s$/m, 'range: 30s');
  const rules = alertRules(parseThresholds(text, 'edited.yml'));
  assert.equal(rules.filter((r) => r.labels.audit_rule === 'elu_saturation').length, 0);
  assert.deepEqual(
    rules.filter((r) => r.labels.audit_rule === 'backlog_growth').map((r) => r.labels.severity),
    ['critical'],
  );
  assert.ok(rules.every((r) => !r.expr.includes('[10s]')));
  // Starvation reads instant gauges (see rules.ts); every other rule uses the range.
  assert.ok(rules.every((r) => r.labels.audit_rule === 'event_loop_starvation' || r.expr.includes('[30s]')));
  const yaml = parse(renderAlertRules(parseThresholds(text, 'edited.yml'))) as { groups: Array<{ rules: unknown[] }> };
  assert.equal(yaml.groups[0]?.rules.length, rules.length);
});

test('promtool accepts the generated rules and passes the alert unit tests', { skip: NO_PROMTOOL }, () => {
  const check = spawnSync('promtool', ['check', 'rules', 'prometheus/rules/alerts.yml'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  const unit = spawnSync('promtool', ['test', 'rules', 'prometheus/tests/alerts.test.yml'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(unit.status, 0, unit.stdout + unit.stderr);
  assert.match(unit.stdout + unit.stderr, /SUCCESS/);
});

// promtool here is 2.42; the compose stack runs 3.x. The 3.x grammar (lezer-promql 0.315, the
// parser of Prometheus 3's own UI) must accept every expression too, with and without selectors.
test('every alert and audit expression parses under the Prometheus 3.x grammar', () => {
  const thresholds = loadThresholds(join(ROOT, 'prometheus/thresholds.yml'));
  const broken = 'max by (job (up)';
  const errorsIn = (expr: string): number => {
    let errors = 0;
    parser.parse(expr).iterate({
      enter: (node) => {
        if (node.type.isError) errors++;
      },
    });
    return errors;
  };
  assert.ok(errorsIn(broken) > 0, 'the check can fail');
  const expressions = [
    ...alertRules(thresholds).map((r) => r.expr),
    ...RULE_IDS.map((id) => RULES[id].promql('job="api",instance=~"127.0.0.1:.*"', '30s')),
  ];
  for (const expr of expressions) assert.equal(errorsIn(expr), 0, expr);
});
