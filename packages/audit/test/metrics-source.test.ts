// --metrics against the fake service (real HTTP, real prom-client registry): one state per fault,
// the expected finding for each, and the three output formats. A fast copy of the real
// thresholds (range 4s, for: 1s) keeps each audit to ~4 s; rates need
// 2 s of span (half the range), long enough that scrape-time jitter on a busy machine stays small; the thresholds themselves are the lab's.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runAuditCli } from '../src/index.js';
import { type FakeState, startFakeService } from './fake-service.js';
import { captureIo, type JsonReport, ROOT, tempDir } from './helpers.js';

function fastConfig(t: { after(fn: () => void): void }): string {
  const text = readFileSync(join(ROOT, 'prometheus/thresholds.yml'), 'utf8')
    .replace(/^range: 10s$/m, 'range: 4s')
    .replace(/ {4}for: \d+s$/gm, '    for: 1s');
  const path = join(tempDir(t), 'fast.yml');
  writeFileSync(path, text);
  return path;
}

async function audit(
  t: { after(fn: () => void): void },
  state: Partial<FakeState>,
  extra: string[] = [],
  during?: (set: (patch: Partial<FakeState>) => void) => void,
): Promise<{ code: number; out: string; err: string }> {
  const fake = await startFakeService(state);
  t.after(() => fake.close());
  during?.((patch) => fake.set(patch));
  const io = captureIo();
  const code = await runAuditCli(
    ['--metrics', fake.url, '--duration', '4s', '--interval', '1s', '--config', fastConfig(t), ...extra],
    io.io,
  );
  return { code, out: io.out(), err: io.err() };
}

async function auditJson(
  t: { after(fn: () => void): void },
  state: Partial<FakeState>,
  extra: string[] = [],
): Promise<{ code: number; report: JsonReport }> {
  const { code, out, err } = await audit(t, state, ['--format', 'json', ...extra]);
  assert.equal(err, '');
  return { code, report: JSON.parse(out) as JsonReport };
}

function only(report: JsonReport): Array<[string, string]> {
  return report.findings.map((f) => [f.alert, f.status]);
}

describe('lab audit --metrics against a fake service', { concurrency: true }, () => {
  it('reports HEALTHY and exits 0 when every signal is calm, with every rule judged', async (t) => {
    const { code, out } = await audit(t, {});
    assert.equal(code, 0, out);
    assert.match(out, /^lab audit: HEALTHY \(no findings\)/);
    assert.equal((out.match(/^ok {8}/gm) ?? []).length, 8, out); // 8 rules; the fake has one pool
    assert.doesNotMatch(out, /no data/);
  });

  it('finds event-loop starvation (CRITICAL, exit 1) with value, threshold, metrics, why and hint', async (t) => {
    const { code, out } = await audit(t, { loopDelayMax: 0.8 });
    assert.equal(code, 1);
    assert.match(out, /^lab audit: CRITICAL \(1 finding, 1 at or above --fail-on critical\)/);
    assert.match(out, /^CRITICAL {2}EventLoopStarvation \(event-loop starvation\) on http:\/\/127\.0\.0\.1:\d+\/metrics$/m);
    assert.match(out, /evidence {2}worst event-loop delay 800ms >= critical 500ms, held \d/);
    assert.match(out, /metrics {3}max of runtime_eventloop_delay_max_seconds and runtime_eventloop_stall_seconds/);
    assert.match(out, /why {7}The main thread went this long/);
    assert.match(out, /hint {6}Find the synchronous work/);
  });

  it('sees a stall in progress through the live stall gauge; DEGRADED fails only with --fail-on degraded', async (t) => {
    const [lenient, strict] = await Promise.all([auditJson(t, { stall: 0.3 }), auditJson(t, { stall: 0.3 }, ['--fail-on', 'degraded'])]);
    assert.equal(lenient.code, 0);
    assert.deepEqual(only(lenient.report), [['EventLoopStarvation', 'degraded']]);
    assert.equal(lenient.report.status, 'degraded');
    assert.equal(strict.code, 1);
    assert.equal(strict.report.exitCode, 1);
  });

  it('finds ELU saturation from the active-time counter', async (t) => {
    const { code, report } = await auditJson(t, { elu: 1 });
    assert.equal(code, 1);
    assert.deepEqual(only(report), [['EventLoopUtilizationSaturated', 'critical']]);
    assert.ok(Math.abs((report.findings[0]?.value ?? 0) - 1) < 0.1, String(report.findings[0]?.value));
  });

  it('finds executor queue amplification per pool', async (t) => {
    const { report } = await auditJson(t, { poolQueue: 10, poolThreads: 2 });
    assert.deepEqual(only(report), [['ExecutorQueueAmplification', 'critical']]);
    assert.equal(report.findings[0]?.labels.pool, 'report');
    assert.equal(report.findings[0]?.value, 5);
  });

  it("finds concurrency saturation by Little's law (busy time per second / threads)", async (t) => {
    const { report } = await auditJson(t, { poolBusy: 1.96, poolThreads: 2 });
    assert.deepEqual(only(report), [['ConcurrencySaturation', 'critical']]);
    assert.ok(Math.abs((report.findings[0]?.value ?? 0) - 0.98) < 0.08, String(report.findings[0]?.value));
  });

  it('finds threadpool starvation, but not when the canary only waited for a stalled loop', async (t) => {
    const [starved, pending, blocked, starvedMachine] = await Promise.all([
      auditJson(t, { canarySeconds: 0.08 }),
      auditJson(t, { canaryPending: 2 }),
      // A blocked loop: busy all the time, 900 ms stalls, canaries as slow as the stalls.
      auditJson(t, { canarySeconds: 0.9, loopDelayMax: 0.9, elu: 1 }),
      // A mostly idle loop (ELU 0.1) that still sees 900 ms delays, as on a starved machine: the
      // loop's share is ELU x 0.9 = 90 ms of the 400 ms canary wait.
      auditJson(t, { canarySeconds: 0.4, loopDelayMax: 0.9, elu: 0.1 }),
    ]);
    assert.deepEqual(only(starved.report), [['ThreadpoolStarvation', 'degraded']]);
    assert.deepEqual(only(pending.report), [['ThreadpoolStarvation', 'critical']]);
    assert.deepEqual(only(blocked.report), [
      ['EventLoopStarvation', 'critical'],
      ['EventLoopUtilizationSaturated', 'critical'],
    ]);
    assert.deepEqual(only(starvedMachine.report), [
      ['EventLoopStarvation', 'critical'],
      ['ThreadpoolStarvation', 'degraded'],
    ]);
  });

  it('finds backlog growth and a stale snapshot', async (t) => {
    const { report } = await auditJson(t, { backlog: 300, snapshotAge: 4 });
    assert.deepEqual(only(report), [
      ['BacklogGrowth', 'critical'],
      ['StaleSnapshot', 'degraded'],
    ]);
  });

  it('counts scrapes that time out as scrape gaps (not a connection error once the target answered)', async (t) => {
    const { code, out, err } = await audit(t, {}, ['--format', 'json'], (set) => {
      setTimeout(() => set({ responseDelayMs: 2000 }), 700).unref();
    });
    assert.equal(err, '');
    const report = JSON.parse(out) as JsonReport;
    assert.equal(code, 1);
    assert.deepEqual(only(report), [['ScrapeGaps', 'critical']]);
    // The range (4 s) ends up holding the first, answered scrape and four timed-out ones.
    assert.equal(report.findings[0]?.value, 0.8);
  });

  it('writes JUnit with one failure per finding at --fail-on, and --output to a file', async (t) => {
    const path = join(tempDir(t), 'audit.xml');
    const { code, out } = await audit(t, { loopDelayMax: 0.8, backlog: 30 }, ['--format', 'junit', '--output', path]);
    assert.equal(code, 1);
    assert.match(out, /^lab audit: CRITICAL, junit report written to .*audit\.xml; exit 1\n$/);
    const xml = readFileSync(path, 'utf8');
    assert.match(
      xml,
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="lab audit" tests="8" failures="1" errors="0" skipped="0">/,
    );
    assert.match(
      xml,
      /<testcase classname="lab\.audit\.event_loop_starvation" name="EventLoopStarvation on http:\/\/127\.0\.0\.1:\d+\/metrics">\n\s+<failure type="critical" message="CRITICAL: worst event-loop delay 800ms &gt;= critical 500ms/,
    );
    // Degraded backlog is below --fail-on critical: reported, not failed.
    assert.match(xml, /lab\.audit\.backlog_growth[^>]*>\n\s+<system-out>DEGRADED \(below --fail-on critical\)/);
    assert.equal((xml.match(/<testcase /g) ?? []).length, 8);
    assert.equal((xml.match(/<\/testcase>/g) ?? []).length, 8);
  });
});
