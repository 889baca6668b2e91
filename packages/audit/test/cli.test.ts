// The command line without any service: help, usage errors, --init, malformed configs and
// unreachable targets. Every error path must return 2 with one line on stderr and no stack.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuditError, defaultThresholdsPath, HELP, loadThresholds, runAuditCli } from '../src/index.js';
import { captureIo, closedPort, ROOT, tempDir } from './helpers.js';

const THRESHOLDS = readFileSync(join(ROOT, 'prometheus/thresholds.yml'), 'utf8');

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await runAuditCli(argv, io.io);
  return { code, out: io.out(), err: io.err() };
}

function assertOneLineError(result: { code: number; out: string; err: string }, pattern: RegExp): void {
  assert.equal(result.code, 2, `exit code; stderr: ${result.err}`);
  assert.equal(result.out, '');
  assert.match(result.err, pattern);
  assert.equal(result.err.trimEnd().split('\n').length, 1, `one line only: ${result.err}`);
  assert.doesNotMatch(result.err, /\n\s+at /, 'no stack trace');
}

test('--help documents sources, options and every exit code', async () => {
  const { code, out } = await run(['--help']);
  assert.equal(code, 0);
  assert.equal(out, HELP);
  for (const option of [
    '--prometheus',
    '--metrics',
    '--window',
    '--duration',
    '--format',
    '--fail-on',
    '--init',
    '--config',
    '--selector',
    '--rules',
  ]) {
    assert.ok(out.includes(option), option);
  }
  assert.match(out, /0\s+healthy/);
  assert.match(out, /1\s+at least one finding at or above --fail-on/);
  assert.match(out, /2\s+usage, config or connection error/);
});

test('usage errors exit 2 naming the option and what is allowed', async () => {
  assertOneLineError(await run([]), /say what to audit: --prometheus URL or --metrics URL/);
  assertOneLineError(
    await run(['--metrics', 'http://a/metrics', '--prometheus', 'http://b']),
    /either --prometheus or --metrics, not both/,
  );
  assertOneLineError(
    await run(['--metrics', 'http://a/metrics', '--duration', '10 seconds']),
    /--duration must be a Prometheus duration .*got "10 seconds"/,
  );
  assertOneLineError(
    await run(['--metrics', 'http://a/metrics', '--format', 'xml']),
    /--format must be one of text, json, junit; got "xml"/,
  );
  assertOneLineError(await run(['--metrics', 'http://a/metrics', '--fail-on', 'warning']), /--fail-on must be one of critical, degraded/);
  assertOneLineError(await run(['--metrics', 'http://a/metrics', '--window', '5m']), /--window only applies to --prometheus/);
  assertOneLineError(await run(['--prometheus', 'http://a', '--selector', 'job=api']), /--selector must be label matchers/);
  assertOneLineError(await run(['--prometheus', 'ftp://a']), /--prometheus must be an http\(s\) URL/);
  assertOneLineError(await run(['--prometheus', 'http://a', '--end', 'yesterday']), /--end must be an RFC 3339 time/);
  assertOneLineError(await run(['--prometheus', 'http://a', '--window', `${'9'.repeat(400)}s`]), /--window must be a Prometheus duration/);
  assertOneLineError(await run(['--metrics', 'http://a/metrics', '--verbose']), /unknown option "--verbose"/);
  assertOneLineError(await run(['--metrics']), /--metrics needs a value/);
  assertOneLineError(
    await run(['--metrics', 'http://a/metrics', '--duration', '3s']),
    /--duration 3s is too short to raise any finding with .*thresholds\.yml: rates need 5s of scrapes \(half the range 10s\), then the longest for: 6s \(event_loop_starvation\), plus one scrape interval \(1s\); use 12s or more/,
  );
  assertOneLineError(
    await run(['--prometheus', 'http://a', '--window', '5s', '--step', '2s']),
    /--window 5s is too short to raise any finding with .*: a value must hold for the longest for: 6s \(event_loop_starvation\), plus one query step \(2s\); use 8s or more/,
  );
});

test('--init writes the commented default config, refuses to overwrite without --force', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'audit.yml');
  const first = await run(['--init', path]);
  assert.equal(first.code, 0, first.err);
  assert.equal(readFileSync(path, 'utf8'), THRESHOLDS);
  assert.match(readFileSync(path, 'utf8'), /^# /m, 'commented');
  assert.deepEqual(loadThresholds(path).rules, loadThresholds(join(ROOT, 'prometheus/thresholds.yml')).rules);

  writeFileSync(path, 'mine\n');
  assertOneLineError(await run(['--init', path]), /already exists; pass --force/);
  assert.equal(readFileSync(path, 'utf8'), 'mine\n');
  assert.equal((await run(['--init', path, '--force'])).code, 0);
  assert.equal(readFileSync(path, 'utf8'), THRESHOLDS);

  const cwdDefault = await run([`--init=${join(dir, 'lab-audit.yml')}`]);
  assert.equal(cwdDefault.code, 0);
  assert.ok(existsSync(join(dir, 'lab-audit.yml')));
});

// The Docker image installs this package under packages/cli/node_modules/.pnpm/… (pnpm deploy) and
// puts the repo's thresholds at /app/prometheus/thresholds.yml; tests/test/deploy.test.ts runs the
// real layout, this one the lookup alone.
test('default thresholds: found walking up from the package, in a checkout and in the image layout', (t) => {
  assert.equal(defaultThresholdsPath(), join(ROOT, 'prometheus/thresholds.yml'));

  const app = tempDir(t, 'audit-image-');
  const installed = join(
    app,
    'packages/cli/node_modules/.pnpm/@runtime-lab+audit@file+packages+audit/node_modules/@runtime-lab/audit/dist/src',
  );
  mkdirSync(installed, { recursive: true });
  assert.throws(
    () => defaultThresholdsPath(installed),
    (error: unknown) =>
      error instanceof AuditError &&
      error.code === 'LAB_AUDIT_CONFIG' &&
      error.message.includes(
        `no prometheus/thresholds.yml in ${installed} or any directory above it; pass --config PATH or set LAB_AUDIT_CONFIG`,
      ),
  );
  mkdirSync(join(app, 'prometheus'));
  writeFileSync(join(app, 'prometheus/thresholds.yml'), THRESHOLDS);
  assert.equal(defaultThresholdsPath(installed), join(app, 'prometheus/thresholds.yml'));
});

// Installed from npm, no repo lies above the package: the copy `pnpm pack` put in dist/ is used.
test('default thresholds: the copy shipped in the package when no prometheus/thresholds.yml lies above it', (t) => {
  const app = tempDir(t, 'audit-npm-');
  const installed = join(app, 'node_modules/@runtime-lab/audit/dist/src');
  mkdirSync(installed, { recursive: true });
  assert.throws(
    () => defaultThresholdsPath(installed),
    (error: unknown) => error instanceof AuditError && error.code === 'LAB_AUDIT_CONFIG',
  );
  writeFileSync(join(installed, '../thresholds.yml'), THRESHOLDS);
  assert.equal(defaultThresholdsPath(installed), join(app, 'node_modules/@runtime-lab/audit/dist/thresholds.yml'));
  // A repo layout above still wins: the lab image and a checkout keep reading prometheus/thresholds.yml.
  mkdirSync(join(app, 'prometheus'));
  writeFileSync(join(app, 'prometheus/thresholds.yml'), THRESHOLDS);
  assert.equal(defaultThresholdsPath(installed), join(app, 'prometheus/thresholds.yml'));
});

// Each malformed config: the edit, the column, and the reason. The error must point at the line
// the edit changed (or, for a removal, at the line holding `marker`).
const MALFORMED: Array<[string, (text: string) => string, string | undefined, number, RegExp]> = [
  ['broken YAML', (s) => s.replace('  elu_saturation:\n', '  elu_saturation: [0.8\n'), undefined, 20, /not valid YAML: /],
  [
    'critical below degraded',
    (s) => s.replace('    critical: 0.95', '    critical: 0.5'),
    undefined,
    15,
    /rules\.elu_saturation\.critical \(0\.5\) must be >= degraded \(0\.8\)/,
  ],
  [
    'misspelt key',
    (s) => s.replace('    degraded: 1\n', '    degradd: 1\n'),
    undefined,
    5,
    /unknown key "degradd" in rules\.executor_queue; allowed: enabled, degraded, critical, for, selector/,
  ],
  [
    'bad duration',
    (s) => s.replace(/ {4}for: \S+/, '    for: 2 seconds'),
    undefined,
    10,
    /rules\.event_loop_starvation\.for must be a Prometheus duration .*got "2 seconds"/,
  ],
  [
    'text threshold',
    (s) => s.replace('    degraded: 20', '    degraded: twenty'),
    undefined,
    15,
    /rules\.backlog_growth\.degraded must be a number >= 0; got "twenty"/,
  ],
  [
    'bad selector',
    (s) => s.replace('    selector: job!="runner"', '    selector: job=runner'),
    undefined,
    15,
    /rules\.scrape_gaps\.selector must be label matchers/,
  ],
  [
    'missing rule',
    (s) => s.replace(/ {2}# Stale snapshot[\s\S]*$/, ''),
    '  event_loop_starvation:',
    3,
    /rules\.stale_snapshot is missing; list every rule \(set enabled: false/,
  ],
  [
    'unknown rule',
    (s) => s.replace('  elu_saturation:', '  elu:'),
    undefined,
    3,
    /unknown key "elu" in rules; allowed: event_loop_starvation, elu_saturation/,
  ],
];

for (const [name, edit, marker, column, reason] of MALFORMED) {
  test(`malformed config (${name}) exits 2 with file:line and the reason`, async (t) => {
    const edited = edit(THRESHOLDS);
    assert.notEqual(edited, THRESHOLDS, 'the edit must change the file');
    const original = THRESHOLDS.split('\n');
    const lines = edited.split('\n');
    const line = (marker === undefined ? lines.findIndex((l, i) => l !== original[i]) : lines.indexOf(marker)) + 1;
    assert.ok(line > 0, 'the line to point at');
    const path = join(tempDir(t), 'bad.yml');
    writeFileSync(path, edited);
    const result = await run(['--metrics', 'http://127.0.0.1:9/metrics', '--config', path]);
    const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assertOneLineError(result, new RegExp(`^lab audit: ${escaped}:${line}:${column}: ${reason.source}`));
  });
}

test('a missing config file exits 2 naming the file', async (t) => {
  const path = join(tempDir(t), 'nope.yml');
  assertOneLineError(
    await run(['--metrics', 'http://127.0.0.1:9/metrics', '--config', path]),
    /cannot read thresholds file .*nope\.yml: ENOENT/,
  );
});

test('unreachable targets exit 2 with one line and no stack trace', async () => {
  const port = await closedPort();
  assertOneLineError(
    await run(['--metrics', `http://127.0.0.1:${port}/metrics`]),
    /^lab audit: could not scrape http:\/\/127\.0\.0\.1:\d+\/metrics: .*ECONNREFUSED/,
  );
  assertOneLineError(
    await run(['--prometheus', `http://127.0.0.1:${port}`]),
    /^lab audit: cannot reach Prometheus at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/,
  );
  assertOneLineError(
    await run(['--prometheus', 'http://127.0.0.1:6000']),
    /bad port \(fetch refuses this port: it is on the Fetch standard's list of blocked ports\)\n$/,
  );
  assertOneLineError(
    await run(['--metrics', 'http://no-such-host.invalid/metrics']),
    // The resolver says the name does not exist (ENOTFOUND), or, with no DNS server at all (a network
    // namespace without one), that it could not ask (EAI_AGAIN): either way, one line naming the cause.
    /^lab audit: could not scrape http:\/\/no-such-host\.invalid\/metrics: .*(ENOTFOUND|EAI_AGAIN)/,
  );
});

test('an endpoint that is not a runtime-lab metrics port, or not Prometheus, exits 2 at the first answer', async (t) => {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') res.end('# TYPE other_total counter\nother_total 1\n');
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  assertOneLineError(
    await run(['--metrics', `${base}/metrics`]),
    /serves none of the runtime_\* metrics the rules read; point --metrics at a service's watchdog port/,
  );
  assertOneLineError(await run(['--metrics', `${base}/nope`]), /could not scrape .*\/nope: HTTP 404/);
  assertOneLineError(await run(['--prometheus', base]), /is not a Prometheus API \(HTTP 404/);
});
