// Every catalogue scenario in its --quick form, through the real `lab run`, against ONE pair
// of real service processes (api + downstream on ephemeral ports). The reports those runs
// write are then reused for the report checks (schema, flagship figures, mitigations, HTML
// in headless Chromium, `lab report`), and the same services serve the kill-mid-fault tests.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AdminClient, catalogueNames, type Report, reportJsonSchema, reportProblems } from '@runtime-lab/scenarios';
import { chromium } from 'playwright-core';
import { type StartedService, startServices, stopServices } from '../src/services.js';
import { freePort, lab } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lab-catalogue-'));
let services: StartedService[] = [];
let apiUrl = '';
let metricsUrl = '';
const reports = new Map<string, Report>();

before(async () => {
  const [apiPort, apiMetricsPort, downstreamPort, downstreamMetricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const started = await startServices({
    ports: { apiPort: apiPort as number, apiMetricsPort: apiMetricsPort as number, downstreamPort: downstreamPort as number, downstreamMetricsPort: downstreamMetricsPort as number },
    logDir: join(dir, 'logs'),
  });
  services = started.services;
  apiUrl = started.urls.apiUrl;
  metricsUrl = started.urls.metricsUrl;
});

after(async () => {
  await stopServices(services);
});

const runArgs = (name: string, out: string): string[] => ['run', name, '--quick', '--out', out, '--api', apiUrl, '--metrics', metricsUrl, '--runner-port', '0'];

for (const name of catalogueNames()) {
  test(`lab run ${name} --quick passes its expectations`, async (t) => {
    const out = join(dir, name);
    const result = await lab(runArgs(name, out));
    t.diagnostic(`${name}: exit ${result.code} in ${(result.ms / 1000).toFixed(1)} s`);
    if (result.code !== 2) reports.set(name, JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report);
    assert.equal(result.code, 0, `${name} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, new RegExp(`PASSED: ${name}`));
  });
}

test('every report.json matches the JSON schema shipped next to it', () => {
  assert.ok(reports.size > 0, 'no report to check');
  for (const [name, report] of reports) {
    assert.deepEqual(reportProblems(report), [], `${name}: report.json does not match its schema`);
    assert.equal(readFileSync(join(dir, name, 'report.schema.json'), 'utf8'), reportJsonSchema());
    assert.equal(report.runner.restored, true);
    assert.equal(report.series.t.length, report.phases.reduce((a, p) => a + p.durationSeconds, 0));
  }
  const broken = structuredClone(reports.values().next().value) as unknown as Record<string, unknown>;
  delete broken.verdict;
  assert.notDeepEqual(reportProblems(broken), [], 'the schema must reject a report without a verdict');
});

test('flagship: during the fault, loop delay and probe P99 exceed 500 ms while the server-side P99 of /api/ping stays under 50 ms', (t) => {
  const report = reports.get('blocking');
  assert.ok(report, 'the blocking run must have produced a report');
  const fault = report.phases.find((p) => p.name === 'fault');
  assert.ok(fault);
  const { loopDelayP99, probeP99, serverP99 } = fault.summary;
  t.diagnostic(`fault phase: loop delay p99 ${loopDelayP99} s, probe P99 ${probeP99} s, server P99 ${serverP99} s`);
  assert.ok((loopDelayP99 ?? 0) > 0.5);
  assert.ok((probeP99 ?? 0) > 0.5);
  assert.ok(serverP99 !== null && serverP99 < 0.05);
  const probeRow = report.leadTimes.find((r) => r.signal === 'probeP99');
  assert.ok(probeRow?.firstCrossingSeconds !== null, 'the probe breached its SLO');
  assert.equal(report.leadTimes.find((r) => r.signal === 'serverP99')?.firstCrossingSeconds, null, 'server-side P99 never crossed 50 ms');
});

test('each with-mitigation variant shows the improvement in the same report format', () => {
  const variants: [string, keyof Report['phases'][number]['summary']][] = [
    ['blocking-offload', 'probeP99'],
    ['executor-shedding', 'poolQueue'],
    ['threadpool-offload', 'threadpoolCanary'],
    ['queue-amplification-shedding', 'backlog'],
  ];
  for (const [name, signal] of variants) {
    const report = reports.get(name);
    assert.ok(report, `${name} must have produced a report`);
    const fault = report.phases.find((p) => p.name === 'fault')?.summary[signal];
    const mitigated = report.phases.find((p) => p.name === 'mitigated')?.summary[signal];
    assert.ok(fault !== null && fault !== undefined && mitigated !== null && mitigated !== undefined, `${name}: ${signal} has data`);
    assert.ok(mitigated < fault, `${name}: ${signal} ${mitigated} with the mitigation vs ${fault} without`);
  }
});

test('report.html is self-contained: it renders offline in headless Chromium with its charts and tables', async (t) => {
  const html = join(dir, 'blocking', 'report.html');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
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
    assert.equal(await page.locator('table.expectations tbody tr').count(), reports.get('blocking')?.expectations.length);
    assert.ok((await page.locator('table.lead-times tbody tr').count()) >= 5);
    const box = await page.locator('svg.chart').first().boundingBox();
    assert.ok(box && box.width > 600 && box.height > 150, 'the first chart is drawn at a readable size');
    const shot = process.env.LAB_UPDATE_SCREENSHOT ? fileURLToPath(new URL('../../../../docs/report-screenshot.png', import.meta.url)) : join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: false });
    t.diagnostic(`screenshot: ${shot}`);
  } finally {
    await browser.close();
  }
});

test('lab report re-renders report.md and report.html from report.json alone', async () => {
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
    const running = lab(['run', 'blocking', '--out', join(dir, `killed-${signal}`), '--api', apiUrl, '--metrics', metricsUrl, '--runner-port', '0'], {
      onSpawn: (p) => (pid = p),
    });
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
