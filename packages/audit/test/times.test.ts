// Times in and out of lab audit, with real sources: a fake watchdog port over real HTTP whose
// loop delay goes critical at a known moment and calm again, scraped by Debian's real
// Prometheus. The audit CLI entry runs in child processes under different TZ values: a time
// without an offset is refused under every zone, a time with one gives the same report under
// every zone, and each finding says when it started, ended and first crossed each level, as
// absolute times with their offset, in text, JSON and JUnit.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type FakeService, startFakeService } from './fake-service.js';
import { hasBinary, ROOT, tempDir } from './helpers.js';
import { type PrometheusServer, startPrometheus } from '@runtime-lab/test-kit';

const ZONES = ['Asia/Tokyo', 'America/New_York', 'UTC'];
const INDEX = fileURLToPath(new URL('../src/index.js', import.meta.url));
const ENTRY = `import { runAuditCli } from ${JSON.stringify(INDEX)}; process.exitCode = await runAuditCli(process.argv.slice(1));`;

/** `lab audit ...` as the CLI runs it (runAuditCli), in a child process with its own TZ. */
function auditIn(zone: string, args: string[]): { code: number | null; out: string; err: string } {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', ENTRY, '--', ...args], {
    env: { ...process.env, TZ: zone },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: child.status, out: child.stdout, err: child.stderr };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A zone's wall-clock time without an offset, as a person in that zone would type it. */
function localText(epochMs: number, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(epochMs))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}
const isoMs = (text: unknown): number => {
  assert.equal(typeof text, 'string');
  assert.match(text as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/, 'RFC 3339 with its offset');
  return Date.parse(text as string);
};

describe('lab audit times (fake watchdog over real HTTP, real Prometheus, TZ varied)', {
  skip: hasBinary('prometheus') ? false : 'Debian prometheus not installed',
}, () => {
  let fake: FakeService;
  let prometheus: PrometheusServer;
  let config: string;
  let onMs = 0;
  let offMs = 0;
  let endMs = 0;
  const cleanups: Array<() => void> = [];

  before(async () => {
    const t = { after: (fn: () => void) => cleanups.push(fn) };
    const dir = tempDir(t);
    // The lab's thresholds with a short range and for: (as in metrics-source.test).
    config = join(dir, 'fast.yml');
    writeFileSync(
      config,
      readFileSync(join(ROOT, 'prometheus/thresholds.yml'), 'utf8')
        .replace(/^range: 10s$/m, 'range: 4s')
        .replace(/ {4}for: \d+s$/gm, '    for: 1s'),
    );
    fake = await startFakeService();
    prometheus = await startPrometheus(dir, { api: new URL(fake.url).host });
    await sleep(4000);
    onMs = Date.now();
    fake.set({ loopDelayMax: 0.8 });
    await sleep(6000);
    offMs = Date.now();
    fake.set({ loopDelayMax: 0.004 });
    await sleep(5000);
    endMs = Date.now();
  });
  after(async () => {
    await prometheus?.stop();
    await fake?.close();
    for (const fn of cleanups) fn();
  });

  it('--end without an offset is refused under every zone, naming the fix', () => {
    for (const zone of ZONES) {
      const result = auditIn(zone, [
        '--prometheus',
        prometheus.url,
        '--window',
        '14s',
        '--end',
        localText(endMs, zone),
        '--config',
        config,
      ]);
      assert.equal(result.code, 2, `${zone}: ${result.out}${result.err}`);
      assert.match(
        result.err,
        /^lab audit: --end must be an RFC 3339 time with an offset.*which has no offset: add Z for UTC or the zone's offset such as \+09:00/,
      );
      assert.equal(result.out, '');
    }
  });

  it('--end with an offset: the same report under every zone, and each finding says when', () => {
    const endS = Math.floor(endMs / 1000);
    // The same instant written three ways: UTC, Tokyo's offset, unix seconds.
    const ends = [new Date(endS * 1000).toISOString().replace('.000Z', 'Z'), `${localText(endS * 1000, 'Asia/Tokyo')}+09:00`, String(endS)];
    const reports = ZONES.map((zone, i) => {
      const result = auditIn(zone, [
        '--prometheus',
        prometheus.url,
        '--window',
        '16s',
        '--step',
        '1s',
        '--end',
        ends[i] as string,
        '--config',
        config,
        '--format',
        'json',
      ]);
      assert.equal(result.err, '', zone);
      assert.equal(result.code, 1, `${zone}: ${result.out}`);
      return JSON.parse(result.out) as Record<string, unknown> & {
        findings: Array<Record<string, unknown>>;
        source: Record<string, unknown>;
      };
    });
    const [first] = reports;
    for (const report of reports) assert.deepEqual(report, first, 'the zone changes nothing');
    assert.equal(isoMs(first?.source.end), endS * 1000);
    assert.equal(isoMs(first?.source.start), (endS - 16) * 1000);

    const finding = first?.findings.find((f) => f.alert === 'EventLoopStarvation');
    assert.ok(finding, JSON.stringify(first?.findings));
    assert.equal(finding.status, 'critical');
    // Prometheus scrapes every 1 s and the range is 4 s: allow a few seconds either way.
    const from = isoMs(finding.heldFrom);
    const until = isoMs(finding.heldUntil);
    assert.ok(Math.abs(from - onMs) <= 3000, `held from ${finding.heldFrom}, fault on at ${new Date(onMs).toISOString()}`);
    assert.ok(
      until >= offMs - 2000 && until <= offMs + 6000,
      `held until ${finding.heldUntil}, fault off at ${new Date(offMs).toISOString()}`,
    );
    const firsts = finding.firstAtOrAbove as Record<string, unknown>;
    assert.equal(isoMs(firsts.critical), from, 'critical crossed when the critical hold began');
    assert.ok(isoMs(firsts.degraded) <= from);
    assert.equal(finding.heldSeconds, (until - from) / 1000);
  });

  it('text and JUnit carry the same times; JUnit timestamp is the window start with Z', () => {
    const endS = Math.floor(endMs / 1000);
    const args = ['--prometheus', prometheus.url, '--window', '16s', '--step', '1s', '--end', String(endS), '--config', config];
    const json = JSON.parse(auditIn('Asia/Tokyo', [...args, '--format', 'json']).out) as { findings: Array<Record<string, string>> };
    const finding = json.findings.find((f) => f.alert === 'EventLoopStarvation') as Record<string, string>;
    const text = auditIn('America/New_York', args).out;
    assert.ok(text.includes(`  when      held from ${finding.heldFrom} to ${finding.heldUntil}; first >= degraded at `), text);
    assert.match(
      text,
      new RegExp(
        `^ {2}window {6}${new Date((endS - 16) * 1000).toISOString().replace('.000Z', 'Z')} to ${new Date(endS * 1000).toISOString().replace('.000Z', 'Z')}$`,
        'm',
      ),
    );
    const xml = auditIn('Asia/Tokyo', [...args, '--format', 'junit']).out;
    assert.match(
      xml,
      new RegExp(`<testsuite [^>]*timestamp="${new Date((endS - 16) * 1000).toISOString().replace('.000Z', 'Z')}" time="16.000">`),
    );
    assert.ok(xml.includes(`when: held from ${finding.heldFrom} to ${finding.heldUntil}`), xml);
  });
});
