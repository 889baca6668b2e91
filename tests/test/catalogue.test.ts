// Every catalogue scenario in its --quick form, through the real `lab run`, against ONE pair
// of real service processes (api + downstream on ephemeral ports). The reports those runs
// write are then reused for the report checks (schema, flagship figures, mitigations, HTML
// in headless Chromium, `lab report`, each workshop module's expected observations), and the
// same services serve the kill-mid-fault tests.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  AdminClient,
  EngineError,
  type Report,
  catalogueNames,
  loadScenario,
  reportJsonSchema,
  reportProblems,
  runScenario,
} from '@runtime-lab/scenarios';
import { type StartedService, startServices, stopServices } from '@runtime-lab/cli';
import { freeServicePorts, lab, launchChromium, repoPath } from '@runtime-lab/test-kit';
import { checkObservations, loadModules } from '@runtime-lab/workshop';

const dir = mkdtempSync(join(tmpdir(), 'lab-catalogue-'));
let services: StartedService[] = [];
let apiUrl = '';
let metricsUrl = '';
const reports = new Map<string, Report>();

/** The report a catalogue run wrote; a run that wrote none fails here with a pointer, not with a confusing undefined. */
function reportOf(name: string): Report {
  const report = reports.get(name);
  assert.ok(report, `no report from \`lab run ${name} --quick\`: that run failed before writing one (see its test above)`);
  return report;
}

const runArgs = (name: string, out: string): string[] => [
  'run',
  name,
  '--quick',
  '--out',
  out,
  '--api',
  apiUrl,
  '--metrics',
  metricsUrl,
  '--runner-port',
  '0',
];

describe('the catalogue, --quick, through lab run against one pair of real services', () => {
  before(async () => {
    try {
      const started = await startServices({
        ports: await freeServicePorts(),
        logDir: join(dir, 'logs'),
      });
      services = started.services;
      apiUrl = started.urls.apiUrl;
      metricsUrl = started.urls.metricsUrl;
    } catch (error) {
      // Every test below needs these services: say so once, plainly.
      throw new Error(`setup: could not start api + downstream for the catalogue tests (logs in ${join(dir, 'logs')}): ${String(error)}`);
    }
  });

  after(async () => {
    await stopServices(services);
  });

  for (const name of catalogueNames()) {
    test(`lab run ${name} --quick passes its expectations`, async (t) => {
      const out = join(dir, name);
      const result = await lab(runArgs(name, out));
      t.diagnostic(`${name}: exit ${result.code} in ${(result.ms / 1000).toFixed(1)} s`);
      // Exit 2 after the run (inconclusive) still writes a report: keep it for the checks below.
      if (existsSync(join(out, 'report.json'))) reports.set(name, JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report);
      assert.equal(result.code, 0, `${name} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
      assert.match(result.stdout, new RegExp(`PASSED: ${name}`));
    });
  }

  test('every report.json matches the JSON schema shipped next to it', () => {
    assert.ok(reports.size > 0, 'no catalogue run wrote a report (see the runs above)');
    for (const [name, report] of reports) {
      assert.deepEqual(reportProblems(report), [], `${name}: report.json does not match its schema`);
      assert.equal(readFileSync(join(dir, name, 'report.schema.json'), 'utf8'), reportJsonSchema());
      assert.equal(report.runner.restored, true);
      assert.equal(
        report.series.t.length,
        report.phases.reduce((a, p) => a + p.durationSeconds, 0),
      );
    }
    const broken = structuredClone(reports.values().next().value) as unknown as Record<string, unknown>;
    delete broken.verdict;
    assert.notDeepEqual(reportProblems(broken), [], 'the schema must reject a report without a verdict');
  });

  test('flagship: during the fault, loop delay and probe P99 exceed 500 ms while the server-side P99 of /api/ping stays under 50 ms', (t) => {
    const report = reportOf('blocking');
    const fault = report.phases.find((p) => p.name === 'fault');
    assert.ok(fault);
    const { loopDelayMax, loopDelayP99, probeP99, serverP99 } = fault.summary;
    const lower = fault.summaryLower ?? {};
    t.diagnostic(
      `fault phase: loop delay p99 ${lower.loopDelayP99}–${loopDelayP99} s, max ${lower.loopDelayMax ?? loopDelayMax} s, probe P99 ${lower.probeP99 ?? probeP99} s, server P99 ≤ ${serverP99} s`,
    );
    // Loop delay above 500 ms every second of the fault: the gauge, exact, through the expectation.
    const loop = report.expectations.find((e) => e.signal === 'loopDelayMax' && e.stat === 'min');
    assert.ok(loop?.passed && (loop.observed ?? 0) > 0.5, `loop delay max, lowest second of the fault: ${loop?.observed}`);
    // The histogram's p99 is a bucket: its lower bound alone must clear the mark it is checked against.
    assert.ok((lower.loopDelayP99 ?? 0) >= 0.32, `loop delay p99 bucket starts at ${lower.loopDelayP99}`);
    assert.ok((lower.probeP99 ?? probeP99 ?? 0) > 0.5, `probe P99 ${probeP99}`);
    assert.ok(serverP99 !== null && serverP99 <= 0.05, `server-side P99 at most ${serverP99}`);
    const probeRow = report.leadTimes.find((r) => r.signal === 'probeP99');
    assert.equal(probeRow?.status, 'crossed', 'the probe breached its SLO, rising from below it');
    // No sustained crossing of 50 ms by the server-side P99 during the fault (on a loaded machine a lone
    // spike reads "intermittent", one in the baseline "above only before onset").
    const server = report.leadTimes.find((r) => r.signal === 'serverP99');
    assert.ok(
      server && server.firstSustainedCrossingSeconds === null && server.status !== 'already-above',
      `server-side P99 never held above 50 ms in the fault: ${server?.status}`,
    );
    assert.notEqual(
      report.leadTimes.find((r) => r.signal === 'threadpoolCanary')?.status,
      'crossed',
      'the loop stall is not passed off as threadpool starvation',
    );
    // The cold population (a new connection per request) waits longer than the warm one in the same run.
    const coldP99 = fault.summaryLower?.coldProbeP99 ?? fault.summary.coldProbeP99 ?? 0;
    t.diagnostic(
      `fault phase: warm probe P99 ${lower.probeP99 ?? probeP99} s, cold probe P99 ${coldP99} s (${fault.clients.cold.timeouts}/${fault.clients.cold.requests} timed out)`,
    );
    assert.ok(coldP99 > (lower.probeP99 ?? probeP99 ?? 0), `cold P99 ${coldP99} s vs warm ${probeP99} s`);
    assert.ok(report.liveness.attempts.length > 0, 'the liveness probe made attempts');
  });

  // `lab workshop run <module>` is `lab run <its scenario> --quick` plus this check on the report
  // (packages/cli/test/workshop-observations.test.ts plays that command through for one module),
  // so the quick runs above serve every module: a module's text cannot drift from what the lab shows.
  test("every workshop module's expected observations hold in this run of its scenario", async () => {
    const modules = (await loadModules()).filter((m) => m.scenario && m.observations.length > 0);
    assert.ok(modules.length >= 5, `modules with observations: ${modules.map((m) => m.id).join(', ')}`);
    const differ: string[] = [];
    const inconclusive: string[] = [];
    for (const module of modules) {
      const report = reportOf(module.scenario as string);
      // An inconclusive run is no evidence either way (its own test above failed already): not a pass.
      if (report.verdict === 'inconclusive') {
        inconclusive.push(`${module.id} (${module.scenario})`);
        continue;
      }
      const results = checkObservations(module, report);
      assert.equal(
        results.length,
        module.observations.reduce((n, o) => n + o.checks.length, 0),
        module.id,
      );
      for (const r of results.filter((r) => !r.passed)) {
        differ.push(`${module.file}: ${r.check.phase} ${r.check.signal}: ${r.problem ?? ''} (observed ${r.observed ?? 'n/a'})`);
      }
    }
    assert.deepEqual(differ, [], 'observations that differ from this run');
    assert.deepEqual(inconclusive, [], 'modules whose scenario run was inconclusive, so their observations were not checked');
  });

  test('no lead-time row says "never" next to a phase summary above its threshold, in any catalogue report', () => {
    assert.ok(reports.size > 0);
    for (const [name, report] of reports) {
      for (const row of report.leadTimes.filter((r) => r.status === 'never')) {
        for (const phase of report.phases) {
          const lower = phase.summaryLower?.[row.signal] ?? phase.summary[row.signal];
          const above =
            lower !== null &&
            lower !== undefined &&
            (phase.summaryLower?.[row.signal] === undefined ? lower > row.threshold : lower >= row.threshold);
          assert.ok(!above, `${name}: ${row.label} reads "never" while its ${phase.name} summary is ${lower} (threshold ${row.threshold})`);
        }
      }
      const noFault = report.phases.every((p) => Object.keys(p.faults).length === 0);
      assert.equal(report.leadTimeReference.onsetPhase === null, noFault, `${name}: an onset exactly when a phase switches a fault on`);
    }
  });

  test("the reports name what held the loop: the blocking mode's own function during the fault", () => {
    for (const [name, fn] of [
      ['blocking', 'spinCpu'],
      ['blocking-microtask', 'microtaskChain'],
    ] as const) {
      const held = reportOf(name).heldTheLoop;
      assert.equal(held?.available, true, `${name}: ${JSON.stringify(held)}`);
      const fault = held.phases.find((p) => p.phase === 'fault');
      assert.match(
        fault?.rows[0]?.frame ?? '',
        new RegExp(`^${fn} \\(services/api/src/faults/blocking-work\\.ts:\\d+\\)$`),
        `${name}: ${JSON.stringify(fault)}`,
      );
      assert.ok((fault?.rows[0]?.stalls ?? 0) >= 2, `${name}: several stalls attributed during the fault`);
      assert.match(readFileSync(join(dir, name, 'report.md'), 'utf8'), new RegExp(`## What held the loop[\\s\\S]*\\| fault \\| ${fn} \\(`));
    }
  });

  test('each with-mitigation variant shows the improvement in the same report format', () => {
    const variants: [string, keyof Report['phases'][number]['summary']][] = [
      ['blocking-offload', 'probeP99'],
      ['executor-shedding', 'poolQueue'],
      ['threadpool-offload', 'threadpoolCanary'],
      ['queue-amplification-shedding', 'backlog'],
    ];
    for (const [name, signal] of variants) {
      const report = reportOf(name);
      const phase = (n: string) => report.phases.find((p) => p.name === n);
      // A bucket figure improves only if the mitigated upper bound is under the fault's lower bound.
      const fault = phase('fault')?.summaryLower?.[signal] ?? phase('fault')?.summary[signal];
      const mitigated = phase('mitigated')?.summary[signal];
      assert.ok(fault !== null && fault !== undefined && mitigated !== null && mitigated !== undefined, `${name}: ${signal} has data`);
      assert.ok(mitigated < fault, `${name}: ${signal} at most ${mitigated} with the mitigation vs at least ${fault} without`);
    }
  });

  test('report.html is self-contained: it renders offline in headless Chromium with its charts and tables', async (t) => {
    reportOf('blocking');
    const html = join(dir, 'blocking', 'report.html');
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
      const outside: string[] = [];
      await page.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:')) return route.continue();
        outside.push(url);
        return route.abort();
      });
      await page.goto(`file://${html}`);
      assert.deepEqual(outside, [], 'the report must not fetch anything');
      assert.match(await page.title(), /^blocking: passed/);
      const charts = await page.locator('svg.chart').count();
      assert.ok(charts >= 3, `${charts} charts`);
      assert.ok((await page.locator('svg.chart polyline').count()) >= 4, 'charts have lines');
      assert.equal(await page.locator('table.expectations tbody tr').count(), reportOf('blocking').expectations.length);
      assert.ok((await page.locator('table.lead-times tbody tr').count()) >= 5);
      const box = await page.locator('svg.chart').first().boundingBox();
      assert.ok(box && box.width > 600 && box.height > 150, 'the first chart is drawn at a readable size');
      const shot = process.env.LAB_UPDATE_SCREENSHOT ? repoPath('docs/report-screenshot.png') : join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: false });
      t.diagnostic(`screenshot: ${shot}`);
    } finally {
      await browser.close();
    }
  });

  test('lab report re-renders report.md and report.html from report.json alone', async () => {
    reportOf('blocking');
    const copy = join(dir, 'rerender');
    mkdirSync(copy, { recursive: true });
    cpSync(join(dir, 'blocking', 'report.json'), join(copy, 'report.json'));
    const result = await lab(['report', join(copy, 'report.json')]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(readFileSync(join(copy, 'report.md'), 'utf8'), readFileSync(join(dir, 'blocking', 'report.md'), 'utf8'));
    assert.equal(readFileSync(join(copy, 'report.html'), 'utf8'), readFileSync(join(dir, 'blocking', 'report.html'), 'utf8'));
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`killing the runner with ${signal} mid-fault leaves GET /admin/faults all healthy`, async () => {
      const admin = new AdminClient(apiUrl);
      let pid = 0;
      // The full (not --quick) flagship: its fault phase lasts 20 s, long enough to be interrupted.
      const running = lab(
        ['run', 'blocking', '--out', join(dir, `killed-${signal}`), '--api', apiUrl, '--metrics', metricsUrl, '--runner-port', '0'],
        {
          onSpawn: (p) => (pid = p),
        },
      );
      const deadline = Date.now() + 30_000;
      let faultOn = false;
      while (!faultOn && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        faultOn = (await admin.list().catch(() => [])).some((f) => f.name === 'blocking' && f.active);
      }
      assert.ok(faultOn, 'the runner switched the blocking fault on');
      process.kill(pid, signal);
      const result = await running;
      assert.equal(result.code, 2, `${signal}: exit ${result.code}\n${result.stderr}`);
      assert.match(result.stderr, new RegExp(`run interrupted \\(${signal}\\); faults switched off`));
      const faults = await admin.list();
      assert.deepEqual(
        faults.filter((f) => f.active).map((f) => f.name),
        [],
        'every fault and mitigation is off',
      );
    });
  }

  test('an exception in a runner callback mid-fault aborts the run and still switches every fault off', async () => {
    const admin = new AdminClient(apiUrl);
    const { scenario, source } = await loadScenario('blocking');
    let faultWasOn = false;
    // The progress line is written from the sampler's callback: a sink that breaks once the
    // fault is on stands for any bug in the code the runner calls back.
    const brokenSink = {
      isTTY: false,
      write(line: string): boolean {
        if (line.includes('faults: blocking')) {
          faultWasOn = true;
          throw new Error('progress sink broke');
        }
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    await assert.rejects(
      runScenario({ scenario, source, quick: true, apiUrl, metricsUrl, runnerMetricsPort: null, progress: brokenSink }),
      (error: unknown) => {
        assert.ok(error instanceof EngineError, String(error));
        assert.equal(error.code, 'LAB_RUN_FAILED');
        assert.match(error.message, /^run aborted: handling a watchdog scrape threw: progress sink broke; faults switched off$/);
        return true;
      },
    );
    assert.ok(faultWasOn, 'the callback threw while the fault was on');
    assert.deepEqual(
      (await admin.list()).filter((f) => f.active).map((f) => f.name),
      [],
      'every fault and mitigation is off',
    );
  });
});
