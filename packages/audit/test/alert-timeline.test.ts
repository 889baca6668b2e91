// The alert timeline of `lab audit`, on real components: a fake watchdog port over real HTTP whose
// loop delay goes critical for 12 s, Debian's real Prometheus scraping it every 1 s with the lab's
// alert rules loaded (so it records ALERTS), and the real promtool replaying the rules over what
// the audit read. The replay must agree with what Prometheus itself recorded within one
// evaluation interval, also for a window that opens after the alert went pending.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import { metricsAlerts, recordedEpisodes, sampleGridSeconds } from '../src/alert-timeline.js';
import type { EpisodeTimes } from '../src/format/describe.js';
import { runAuditCli } from '../src/index.js';
import { ruleInputs } from '../src/rule-inputs.js';
import { type FakeService, startFakeService } from './fake-service.js';
import { captureIo, hasBinary, ROOT, tempDir } from './helpers.js';
import { type PrometheusServer, startPrometheus, userRuleFile } from '@runtime-lab/test-kit';

const NO_PROMETHEUS = hasBinary('prometheus') && hasBinary('promtool') ? false : 'Debian prometheus/promtool not installed';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function audit(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await runAuditCli(argv, io.io);
  return { code, out: io.out(), err: io.err() };
}

type EpisodeJson = EpisodeTimes;
interface SeriesJson {
  alertname: string;
  labels: Record<string, string>;
  fired: boolean;
  episodes: EpisodeJson[];
}
interface AlertsJson {
  evaluated: boolean;
  evaluator: string | null;
  reason: string | null;
  ruleFiles: string[];
  evaluationIntervalSeconds: number | null;
  series: SeriesJson[];
  neverFired: string[];
  caveats: string[];
  recorded: { available: boolean; reason?: string; source?: string; series?: SeriesJson[] } | null;
}
interface ReportJson {
  findings: Array<{ alert: string; heldFrom: string | null; alerts: { evaluated: boolean; fired: boolean; series: SeriesJson[] } }>;
  alerts: AlertsJson;
}

const ms = (text: string | null): number => {
  assert.ok(text !== null);
  assert.match(text, /Z$/, 'RFC 3339 with its offset');
  return Date.parse(text);
};

function critical(series: SeriesJson[] | undefined, alertname = 'EventLoopStarvation'): SeriesJson {
  const found = series?.find((s) => s.alertname === alertname && s.labels.severity === 'critical');
  assert.ok(found, `${alertname}/critical in ${JSON.stringify(series)}`);
  return found;
}

/** One scrape interval and two evaluation intervals of the test's Prometheus (1 s each). */
const ONSET_TO_PENDING_MS = 3000;

/** A user's rule file: UserLoopStalled (fires here) and one that never fires. */
const USER_RULES = userRuleFile(['      - alert: UserNeverFires', '        expr: runtime_eventloop_delay_max_seconds > 100']);

describe('lab audit alert timeline (fake watchdog over real HTTP, real Prometheus and promtool)', { skip: NO_PROMETHEUS }, () => {
  let fake: FakeService;
  let prometheus: PrometheusServer;
  let userRules = '';
  let onMs = 0;
  let offMs = 0;
  let endS = 0;
  const cleanups: Array<() => void> = [];

  before(async () => {
    const dir = tempDir({ after: (fn: () => void) => cleanups.push(fn) });
    userRules = join(dir, 'user-rules.yml');
    writeFileSync(userRules, USER_RULES);
    fake = await startFakeService();
    // Loads the lab's prometheus/rules/alerts.yml, scrapes and evaluates every 1 s.
    prometheus = await startPrometheus(dir, { api: new URL(fake.url).host });
    await sleep(4000);
    onMs = Date.now();
    fake.set({ loopDelayMax: 0.8 });
    await sleep(12_000);
    offMs = Date.now();
    fake.set({ loopDelayMax: 0.004 });
    await sleep(8000);
    endS = Math.floor(Date.now() / 1000);
  });
  after(async () => {
    await prometheus?.stop();
    await fake?.close();
    for (const fn of cleanups) fn();
  });

  const json = async (extra: string[]): Promise<ReportJson> => {
    const result = await audit(['--prometheus', prometheus.url, '--step', '1s', '--format', 'json', ...extra]);
    assert.equal(result.err, '');
    return JSON.parse(result.out) as ReportJson;
  };

  /** Replay and record agree within one evaluation interval (1 s here) on every state change. */
  function assertAgree(replayed: SeriesJson, recorded: SeriesJson, intervalSeconds: number): void {
    assert.equal(replayed.episodes.length, 1, JSON.stringify(replayed));
    assert.equal(recorded.episodes.length, 1, JSON.stringify(recorded));
    const [a, b] = [replayed.episodes[0] as EpisodeJson, recorded.episodes[0] as EpisodeJson];
    const pairs = [
      ['pending', a.pendingAt, b.pendingAt],
      ['firing', a.firingAt, b.firingAt],
      ['resolved', a.resolvedAt, b.resolvedAt],
    ] as const;
    for (const [state, mine, theirs] of pairs) {
      const gap = Math.abs(ms(mine) - ms(theirs)) / 1000;
      assert.ok(gap <= intervalSeconds, `${state}: replay ${mine}, Prometheus recorded ${theirs} (${gap} s apart)`);
    }
  }

  it('--prometheus: each finding carries its alerts, replayed by promtool, agreeing with what Prometheus recorded', async () => {
    const report = await json(['--window', '30s', '--end', String(endS)]);
    const alerts = report.alerts;
    assert.ok(alerts.evaluated, JSON.stringify(alerts));
    assert.match(alerts.evaluator ?? '', /^promtool test rules \(promtool, version .*\), evaluation interval 1s$/);
    assert.equal(alerts.evaluationIntervalSeconds, 1, 'read from the Prometheus config (the test-kit runs it at 1 s)');
    assert.match(alerts.ruleFiles.join(), /generated from .*prometheus\/thresholds\.yml/);
    assert.ok(alerts.recorded?.available, JSON.stringify(alerts.recorded));

    const finding = report.findings.find((f) => f.alert === 'EventLoopStarvation');
    assert.ok(finding, JSON.stringify(report.findings));
    assert.ok(finding.alerts.evaluated && finding.alerts.fired);
    const mine = critical(finding.alerts.series);
    const episode = mine.episodes[0] as EpisodeJson;
    // Pending at the first evaluation that saw 0.8 s, firing for: (6 s) later, resolved after the fault.
    // "Saw": the next scrape (<= 1 s) and the next evaluation (<= 1 s), or one more evaluation when
    // the scrape's samples were stored after that evaluation had read (seen at 2.57 s under load).
    assert.ok(
      Math.abs(ms(episode.pendingAt) - onMs) <= ONSET_TO_PENDING_MS,
      `pending ${episode.pendingAt}, fault on ${new Date(onMs).toISOString()}: ${JSON.stringify(mine)}`,
    );
    const everything = `replay ${JSON.stringify(alerts.series)}; recorded ${JSON.stringify(alerts.recorded)}`;
    assert.equal((ms(episode.firingAt) - ms(episode.pendingAt)) / 1000, 6, everything);
    assert.ok(
      ms(episode.resolvedAt) >= offMs && ms(episode.resolvedAt) <= offMs + 2500,
      `resolved ${episode.resolvedAt}, fault off at ${new Date(offMs).toISOString()}`,
    );
    // Relative to the finding's start (its hold's first step).
    assert.equal(episode.firingAfterStartSeconds, (ms(episode.firingAt) - ms(finding.heldFrom)) / 1000);

    assertAgree(critical(alerts.series), critical(alerts.recorded.series), 1);
    assert.ok(alerts.neverFired.includes('EventLoopUtilizationSaturated'), alerts.neverFired.join());
    assert.ok(!alerts.neverFired.includes('EventLoopStarvation'));
  });

  it('--prometheus: a window that opens after the alert went pending still gets its true pending time (lookback)', async () => {
    // Opens after the latest moment the alert can have gone pending (ONSET_TO_PENDING_MS).
    const startS = Math.ceil((onMs + ONSET_TO_PENDING_MS) / 1000) + 1;
    const report = await json(['--window', `${endS - startS}s`, '--end', String(endS)]);
    const replayed = critical(report.alerts.series);
    const recorded = critical(report.alerts.recorded?.series);
    const pendingMs = ms(replayed.episodes[0]?.pendingAt ?? null);
    assert.ok(
      pendingMs < startS * 1000 && Math.abs(pendingMs - onMs) <= ONSET_TO_PENDING_MS,
      `pending ${new Date(pendingMs).toISOString()}: at the onset, before the window`,
    );
    assertAgree(replayed, recorded, 1);
    assert.ok((replayed.episodes[0]?.pendingAfterStartSeconds ?? 0) < 0, 'negative: before the window opened');
  });

  it('--rules: a user rule file, in text and JUnit; Prometheus has not loaded it, and the report says so', async () => {
    const args = ['--prometheus', prometheus.url, '--step', '1s', '--window', '30s', '--end', String(endS), '--rules', userRules];
    const text = await audit(args);
    assert.equal(text.code, 1, text.err);
    assert.match(text.out, /^ {2}alerts {4}EventLoopStarvation never fired on this target in the window$/m);
    assert.match(text.out, /^alert timeline \(times relative to the window's start\): .*user-rules\.yml$/m);
    assert.match(text.out, /^ {2}evaluator {3}promtool test rules /m);
    assert.match(
      text.out,
      /^ {2}alert {7}UserLoopStalled\{job=api\}: pending \S+Z \(\+\d+(\.\d)?s\), firing \S+Z \(\+\d+(\.\d)?s\), resolved \S+Z/m,
    );
    assert.match(text.out, /^ {2}never fired UserNeverFires$/m);
    assert.match(text.out, /^ {2}recorded {4}http:\/\/127\.0\.0\.1:\d+ has none of these alerts loaded/m);

    const xml = (await audit([...args, '--format', 'junit'])).out;
    assert.match(
      xml,
      /<property name="alert-evaluator" value="promtool test rules \(promtool, version [^"]*\), evaluation interval 1s"\/>/,
    );
    assert.match(xml, /<property name="alerts-never-fired" value="UserNeverFires"\/>/);
    assert.match(xml, /alert: EventLoopStarvation never fired on this target in the window/);

    const lab = (
      await audit(['--prometheus', prometheus.url, '--step', '1s', '--window', '30s', '--end', String(endS), '--format', 'junit'])
    ).out;
    assert.match(
      lab,
      /alert: EventLoopStarvation\{severity=critical\}: pending \S+Z \([+-][\d.]+s\), firing \S+Z \(\+[\d.]+s\), resolved \S+Z/,
    );
  });

  it("--metrics: the rules over the audit's own scrapes, and what cannot be said without a Prometheus", async () => {
    // The fault again, while the audit scrapes.
    setTimeout(() => fake.set({ loopDelayMax: 0.8 }), 2000);
    setTimeout(() => fake.set({ loopDelayMax: 0.004 }), 11_000);
    const result = await audit(['--metrics', fake.url, '--duration', '14s', '--format', 'json']);
    assert.equal(result.err, '');
    const report = JSON.parse(result.out) as ReportJson;
    assert.ok(report.alerts.evaluated, JSON.stringify(report.alerts));
    assert.match(report.alerts.evaluator ?? '', /evaluation interval 1s$/);
    const mine = critical(report.alerts.series);
    assert.equal(mine.labels.instance, fake.url);
    assert.equal(mine.labels.job, 'lab-audit');
    assert.equal(report.alerts.recorded, null);
    assert.ok(report.alerts.caveats.some((c) => /nothing before the first scrape is known/.test(c)));
    assert.ok(report.alerts.caveats.some((c) => /what your Prometheus actually recorded is not known/.test(c)));
    const finding = report.findings.find((f) => f.alert === 'EventLoopStarvation');
    assert.ok(finding?.alerts.fired, JSON.stringify(finding));
  });
});

test('recorded ALERTS samples fold into episodes: a gap of more than 1.5 intervals ends one; resolved one interval after the last', () => {
  const window = { startMs: 1000_000, endMs: 1060_000 };
  const series = (state: string, times: number[]) => ({
    metric: { __name__: 'ALERTS', alertname: 'A', alertstate: state, severity: 'critical' },
    values: times.map((t): [number, string] => [t, '1']),
  });
  const episodes = recordedEpisodes(
    [series('pending', [1010, 1011, 1012, 1030]), series('firing', [1013, 1014, 1058, 1059, 1060])],
    1,
    window,
  );
  assert.deepEqual(episodes, [
    {
      alertname: 'A',
      labels: { severity: 'critical' },
      episodes: [
        { pendingAtMs: 1010_000, firingAtMs: 1013_000, resolvedAtMs: 1015_000 },
        { pendingAtMs: 1030_000, firingAtMs: null, resolvedAtMs: 1031_000 },
        // Still there at the window's end: not resolved.
        { pendingAtMs: 1058_000, firingAtMs: 1058_000, resolvedAtMs: null },
      ],
    },
  ]);
});

test('rule inputs: metric names by the PromQL grammar, recorded series left out, lookback = longest range + longest hold', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'rules.yml');
  writeFileSync(
    file,
    [
      'groups:',
      '  - name: g',
      '    rules:',
      '      - record: job:x:rate1m',
      '        expr: sum by (job) (rate(x_total{rate="1"}[1m]))',
      '      - alert: X',
      '        expr: job:x:rate1m > 1 and on (job) max_over_time(up[30s:5s]) == 1',
      '        for: 2m',
      '        keep_firing_for: 30s',
    ].join('\n'),
  );
  assert.deepEqual(ruleInputs([file]), { metrics: ['up', 'x_total'], lookbackSeconds: 60 + 120 + 30 });
  const lab = ruleInputs([join(ROOT, 'prometheus/rules/alerts.yml')]);
  assert.ok(lab.metrics.includes('runtime_eventloop_delay_max_seconds') && lab.metrics.includes('up'), lab.metrics.join());
  assert.equal(lab.lookbackSeconds, 10 + 6);
  writeFileSync(file, 'rules: []\n');
  assert.throws(() => ruleInputs([file]), /--rules .*rules\.yml: not a Prometheus rule file \(expected a top-level "groups:" list\)/);
});

test('--rules: a missing file is exit 2 naming it; both sources accept it', async (t) => {
  const missing = join(tempDir(t), 'nope.yml');
  const result = await audit(['--metrics', 'http://127.0.0.1:1/metrics', '--rules', missing]);
  assert.equal(result.code, 2);
  assert.match(result.err, /^lab audit: --rules: no such file: .*nope\.yml; give Prometheus rule files/);
  const empty = await audit(['--prometheus', 'http://127.0.0.1:1', '--rules', 'a.yml,']);
  assert.match(empty.err, /--rules takes Prometheus rule files, comma-separated or repeated; got "a\.yml,"/);
});

test('--metrics alerts with no promtool-visible data: every alert "never fired", and the evaluator is named', {
  skip: NO_PROMETHEUS,
}, async () => {
  const section = await metricsAlerts(new Map(), { startMs: 0, endMs: 10_000 }, 1, {
    files: [join(ROOT, 'prometheus/rules/alerts.yml')],
    names: ['alerts.yml'],
  });
  assert.ok(section.evaluated, JSON.stringify(section));
  assert.deepEqual(section.alerts, []);
  assert.ok(section.neverFired.includes('EventLoopStarvation') && section.neverFired.length === 8, section.neverFired.join());
});

test('the replay places samples on a tenth of the interval, coarser only for long spans, always a whole fraction of the evaluation interval', () => {
  assert.equal(sampleGridSeconds(1, 1, 60), 0.1);
  assert.equal(sampleGridSeconds(2, 2, 300), 0.2);
  assert.equal(sampleGridSeconds(15, 60, 3600), 1.5);
  // 24 h at 1 s: 20 000 columns at most, so 5 s, and 1 s divides into whole parts only: 1 s.
  assert.equal(sampleGridSeconds(1, 1, 86_400), 1);
  assert.equal(sampleGridSeconds(1, 10, 86_400), 5);
});
