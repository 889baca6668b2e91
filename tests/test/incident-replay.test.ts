// The incident replay of docs/scenarios.md (docs/examples/regex-incident.scenario.ts) runs and
// passes through the real `lab run`, which starts the lab's own services on moved ports when
// asked to (--start with --api and --metrics), and stops them afterwards.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Report } from '@runtime-lab/scenarios';
import { freePort, lab, repoPath } from '@runtime-lab/test-kit';

test('lab run docs/examples/regex-incident.scenario.ts --quick --start on moved ports passes, with per-stream results, and stops what it started', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'lab-incident-'));
  const [apiPort, metricsPort] = [await freePort(), await freePort()];
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const result = await lab(
    [
      'run',
      repoPath('docs/examples/regex-incident.scenario.ts'),
      '--quick',
      '--start',
      '--api',
      apiUrl,
      '--metrics',
      `http://127.0.0.1:${metricsPort}/metrics`,
      '--runner-port',
      'off',
      '--out',
      out,
    ],
    { timeoutMs: 180_000 },
  );
  t.diagnostic(`exit ${result.code} in ${(result.ms / 1000).toFixed(1)} s`);
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, new RegExp(`starting api \\(${apiUrl}\\)`));
  assert.match(result.stdout, /PASSED: regex-incident/);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
  assert.equal(report.target.apiUrl, apiUrl);
  assert.equal(report.target.metricsSource, 'telemetry');
  // The api it started serves every server-side signal: none may be reported missing because the
  // pre-run check read the watchdog's start-up snapshot, from before the pools registered.
  assert.deepEqual(report.target.unavailableSignals ?? [], [], 'signals reported missing from the lab api itself');
  const incident = report.phases.find((p) => p.name === 'incident');
  const streams = new Map((incident?.streamResults ?? []).map((r) => [r.stream, r]));
  assert.equal(streams.get('lb-retries')?.requests, 3);
  assert.equal(streams.get('lb-retries-again')?.requests, 3);
  assert.ok((streams.get('storefront')?.requests ?? 0) > 100);
  // Each stream's lead-time row against its own SLO; the customer's input (a header trigger) fired.
  const leads = new Map((report.streamLeadTimes ?? []).map((r) => [r.stream, r]));
  assert.deepEqual([leads.get('storefront')?.threshold, leads.get('bad-customer')?.threshold], [0.3, 0.5]);
  assert.equal(leads.get('bad-customer')?.status, 'crossed', 'every request with the input ran the 700 ms regex');
  assert.equal(report.phases.find((p) => p.name === 'incident')?.faults.blocking?.trigger, 'header:x-customer=[redacted]');
  // The services it started are gone.
  await assert.rejects(fetch(`${apiUrl}/health`, { signal: AbortSignal.timeout(2000) }));
});
