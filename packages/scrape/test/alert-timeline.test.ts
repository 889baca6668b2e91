// The alert timeline with the real promtool (Debian's 2.42 here): Prometheus's own rule engine
// decides pending, firing and resolved; these tests pin what its semantics must give.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { evaluateAlertTimeline, goDurationSeconds, parseExposition, storedInputSeries, type TimedScrape } from '../src/index.js';

const LAB_RULES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'prometheus', 'rules', 'alerts.yml');

/** A run of `seconds` scrapes, 1 s apart, with the loop stalled (delay max `stall`) from `from` to `to` (exclusive). */
function stallRun(seconds: number, from: number, to: number, stall = 1): TimedScrape[] {
  return Array.from({ length: seconds + 1 }, (_, t) => ({
    // Scrapes are never exactly on the second: the step is the nearest one.
    atSeconds: t + 0.03,
    families: parseExposition(
      [
        '# TYPE runtime_eventloop_delay_max_seconds gauge',
        `runtime_eventloop_delay_max_seconds ${t >= from && t < to ? stall : 0.002}`,
        '# TYPE runtime_eventloop_stall_seconds gauge',
        'runtime_eventloop_stall_seconds 0',
      ].join('\n'),
    ),
  }));
}

test("the lab's EventLoopStarvation: pending at the stall, firing `for:` (6 s) later, resolved when it ends", async () => {
  const timeline = await evaluateAlertTimeline(stallRun(30, 10, 22), {
    ruleFiles: [LAB_RULES],
    targetLabels: { job: 'api', instance: 'a:1' },
  });
  assert.ok(timeline.evaluated, JSON.stringify(timeline));
  assert.match(timeline.evaluator, /^promtool test rules \(promtool, version 2\./);
  const starvation = timeline.alerts.filter((a) => a.alertname === 'EventLoopStarvation');
  assert.deepEqual(
    starvation.map((a) => [a.labels.severity, a.labels.job, a.episodes]),
    [
      ['critical', 'api', [{ pendingAtSeconds: 10, firingAtSeconds: 16, resolvedAtSeconds: 22 }]],
      ['degraded', 'api', [{ pendingAtSeconds: 10, firingAtSeconds: 16, resolvedAtSeconds: 22 }]],
    ],
    JSON.stringify(timeline.alerts),
  );
  // ELU has no samples here: the alert never fires and is simply absent.
  assert.ok(!timeline.alerts.some((a) => a.alertname === 'EventLoopUtilizationSaturated'));
});

test('a user rule file: a stall shorter than `for:` only goes pending; keep_firing_for holds firing; two episodes stay two', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rules-'));
  const rules = join(dir, 'mine.yml');
  await writeFile(
    rules,
    [
      'groups:',
      '  - name: mine',
      '    rules:',
      '      - alert: LongStall',
      '        expr: runtime_eventloop_delay_max_seconds > 0.5',
      '        for: 5s',
      '        keep_firing_for: 3s',
    ].join('\n'),
  );
  const scrapes = stallRun(40, 5, 8).map((s, t) => (t >= 20 && t < 30 ? (stallRun(40, 20, 30)[t] as TimedScrape) : s));
  const timeline = await evaluateAlertTimeline(scrapes, { ruleFiles: [rules] });
  assert.ok(timeline.evaluated, JSON.stringify(timeline));
  assert.deepEqual(
    timeline.alerts.map((a) => [a.alertname, a.episodes]),
    [
      [
        'LongStall',
        [
          { pendingAtSeconds: 5, firingAtSeconds: null, resolvedAtSeconds: 8 },
          { pendingAtSeconds: 20, firingAtSeconds: 25, resolvedAtSeconds: 33 },
        ],
      ],
    ],
  );
});

test("no promtool: says so instead of inventing a timeline; a broken rule file: promtool's own message", async () => {
  const missing = await evaluateAlertTimeline(stallRun(5, 1, 3), { ruleFiles: [LAB_RULES], promtool: 'promtool-that-does-not-exist' });
  assert.deepEqual(missing, {
    evaluated: false,
    reason: "alerts not evaluated: promtool-that-does-not-exist not found (install Prometheus's promtool)",
  });
  const dir = await mkdtemp(join(tmpdir(), 'rules-'));
  const broken = join(dir, 'broken.yml');
  await writeFile(broken, 'groups:\n  - name: x\n    rules:\n      - alert: Bad\n        expr: rate(x[\n');
  const refused = await evaluateAlertTimeline(stallRun(5, 1, 3), { ruleFiles: [broken] });
  assert.equal(refused.evaluated, false);
  assert.match(refused.evaluated ? '' : refused.reason, /refused the rules: .*broken\.yml/);
});

test("failed scrapes are `up` 0, as Prometheus records them: the lab's ScrapeGaps goes pending only then", async () => {
  const healthy = stallRun(20, 100, 100);
  const gappy = healthy.map((s, t) => (t >= 5 && t < 10 ? { atSeconds: s.atSeconds, families: new Map(), up: false } : s));
  const options = { ruleFiles: [LAB_RULES], targetLabels: { job: 'api', instance: 'a:1' } };
  const [calm, gaps] = await Promise.all([evaluateAlertTimeline(healthy, options), evaluateAlertTimeline(gappy, options)]);
  assert.ok(calm.evaluated && gaps.evaluated);
  assert.deepEqual(calm.alerts, []);
  // avg_over_time(up[10s]): degraded (≥ 10 % down) from the first failed scrape, critical (≥ 50 %)
  // once five of the window's ten scrapes failed; degraded holds until the last failure leaves the window.
  assert.deepEqual(
    gaps.alerts.map((a) => [a.alertname, a.labels, a.episodes]),
    [
      [
        'ScrapeGaps',
        { audit_rule: 'scrape_gaps', instance: 'a:1', job: 'api', severity: 'critical' },
        [{ pendingAtSeconds: 9, firingAtSeconds: 9, resolvedAtSeconds: 10 }],
      ],
      [
        'ScrapeGaps',
        { audit_rule: 'scrape_gaps', instance: 'a:1', job: 'api', severity: 'degraded' },
        [{ pendingAtSeconds: 5, firingAtSeconds: 5, resolvedAtSeconds: 19 }],
      ],
    ],
  );
});

test('promtool\'s times past a minute ("1m12s") are read whole: a run of 90 s keeps its alert\'s true end', async () => {
  assert.equal(goDurationSeconds('1m12s'), 72);
  assert.equal(goDurationSeconds('1s500ms'), 1.5);
  assert.equal(goDurationSeconds('0s'), 0);
  assert.equal(goDurationSeconds('12'), undefined);
  // A stall from 70 s to 84 s: every state change lies past the first minute.
  const timeline = await evaluateAlertTimeline(stallRun(90, 70, 84), {
    ruleFiles: [LAB_RULES],
    targetLabels: { job: 'api', instance: 'a:1' },
  });
  assert.ok(timeline.evaluated, JSON.stringify(timeline));
  const critical = timeline.alerts.find((a) => a.alertname === 'EventLoopStarvation' && a.labels.severity === 'critical');
  assert.deepEqual(critical?.episodes, [{ pendingAtSeconds: 70, firingAtSeconds: 76, resolvedAtSeconds: 84 }]);
});

test('stored samples go to the first grid point at or after their time; a series that stops goes stale one scrape later', () => {
  const series = storedInputSeries(
    [
      {
        name: 'g',
        labels: { job: 'api' },
        samples: [
          [100.2, 1],
          [101.2, 2],
          [102.9, 3],
        ],
      },
      // A gap inside the data goes stale; two scrapes short of the end may just not be stored yet.
      {
        name: 'h',
        labels: {},
        samples: [
          [101, 1],
          [104, 2],
          [105, 3],
          [106, 4],
        ],
      },
    ],
    100,
    1,
    8,
    1,
  );
  assert.deepEqual(series, [
    { series: 'g{job="api"}', values: '_ 1 2 3 stale _ _ _ _' },
    { series: 'h{}', values: '_ 1 stale _ 2 3 4 _ _' },
  ]);
});
