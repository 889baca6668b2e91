// CLI checks that need no running service.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadAudit } from '../src/audit-loader.js';
import { writeNativePrometheusConfig } from '../src/prometheus.js';
import { lab } from '@runtime-lab/test-kit';

const dir = mkdtempSync(join(tmpdir(), 'lab-cli-'));

test('--help documents the exit codes 0, 1 and 2', async () => {
  const result = await lab(['--help']);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /Exit codes:\n\s+0 .*expectations were met/);
  assert.match(result.stdout, /\n\s+1 +an expectation failed/);
  assert.match(result.stdout, /\n\s+2 +the run could not be carried out/);
});

test('a malformed scenario file exits 2 with a one-line reason naming file, field and what is allowed', async () => {
  const file = join(dir, 'bad.scenario.ts');
  writeFileSync(
    file,
    `export default { name: 'bad', title: 'Bad', description: 'x', phases: [{ name: 'p', durationSeconds: -3 }], expectations: [{ phase: 'p', signal: 'probeP99', below: 1 }] };\n`,
  );
  const result = await lab(['run', file, '--no-start']);
  assert.equal(result.code, 2);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(
    lines[0] as string,
    /bad\.scenario\.ts: phases\[0\]\.durationSeconds: got -3 \(below 1\); allowed: an integer from 1 to 600$/,
  );
});

test('a scenario file that does not parse exits 2 with one line, no stack trace', async () => {
  const file = join(dir, 'broken.scenario.ts');
  writeFileSync(file, 'export default defineScenario({ name: \n');
  const result = await lab(['run', file, '--no-start']);
  assert.equal(result.code, 2);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /broken\.scenario\.ts: file: cannot be loaded: /);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
});

test('an unknown scenario name and a remote target are refused with exit 2', async () => {
  const unknown = await lab(['run', 'no-such-scenario']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no scenario named "no-such-scenario"; allowed: baseline, blocking/);
  const remote = await lab(['run', 'baseline', '--api', 'http://192.0.2.10:8080', '--runner-port', 'off']);
  assert.equal(remote.code, 2);
  assert.match(remote.stderr, /is not on this machine; allowed: loopback .* or pass --allow-remote/);
});

test('lab run --alerts-from takes a Prometheus base URL, refused before anything runs otherwise', async () => {
  const result = await lab(['run', 'blocking', '--alerts-from', 'prometheus:9090', '--no-start']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--alerts-from must be a Prometheus base URL such as http:\/\/127\.0\.0\.1:9090; got "prometheus:9090"/);
  assert.doesNotMatch(result.stdout, /running blocking/);
});

test('the native Prometheus config points every target at 127.0.0.1 on the same port, rule files absolute', () => {
  const out = writeNativePrometheusConfig({ outDir: join(dir, 'prom') });
  const config = parse(readFileSync(out, 'utf8')) as {
    rule_files: string[];
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  const targets = Object.fromEntries(config.scrape_configs.map((s) => [s.job_name, s.static_configs.flatMap((g) => g.targets)]));
  assert.deepEqual(targets.api, ['127.0.0.1:9464']);
  assert.deepEqual(targets.downstream, ['127.0.0.1:9465']);
  assert.deepEqual(targets.prometheus, ['127.0.0.1:9090']);
  assert.ok(config.rule_files.length > 0 && config.rule_files.every((f) => f.startsWith('/')));
  const check = spawnSync('promtool', ['check', 'config', out], { encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool check config (install Debian's prometheus): ${check.stderr || check.error}`);
});

test('lab audit: only the package itself missing means "not installed"; a broken build is reported, not hidden', async () => {
  const missing = Object.assign(new Error("Cannot find package '@runtime-lab/audit' imported from /x/main.js"), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
  assert.deepEqual(await loadAudit(() => Promise.reject(missing)), { kind: 'not-installed' });
  const brokenBuild = Object.assign(
    new Error("Cannot find module '/repo/packages/audit/dist/src/rules.js' imported from /repo/packages/audit/dist/src/index.js"),
    {
      code: 'ERR_MODULE_NOT_FOUND',
    },
  );
  const broken = await loadAudit(() => Promise.reject(brokenBuild));
  assert.equal(broken.kind, 'broken');
  assert.match(
    broken.kind === 'broken' ? broken.reason : '',
    /could not be loaded: Cannot find module '\/repo\/packages\/audit\/dist\/src\/rules\.js'/,
  );
  assert.equal((await loadAudit(() => Promise.reject(new SyntaxError('Unexpected token')))).kind, 'broken');
  assert.equal((await loadAudit(() => Promise.resolve({}))).kind, 'broken', 'no runAuditCli export');
  assert.equal((await loadAudit()).kind, 'ready', 'the real package loads');
});

test('every refusal is one line with exactly one `lab <command>:` prefix (real CLI processes)', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['run', 'blocking', '--quikc'], /^lab run: unknown option --quikc; allowed: /],
    [['run'], /^lab run: give exactly one scenario name or file/],
    [['run', 'no-such-scenario'], /^lab run: no scenario named "no-such-scenario"/],
    [['run', 'blocking', '--api'], /^lab run: --api needs a value/],
    [['up', '--no-prometheus=yes'], /^lab up: --no-prometheus takes no value/],
    [['report'], /^lab report: give one report\.json/],
    [['fault', 'bogus'], /^lab fault: unknown action "bogus"/],
    [['fault', 'set'], /^lab fault: set: name a fault or mitigation/],
    [['workshop', 'bogus'], /^lab workshop: unknown subcommand "bogus"/],
    [['workshop', 'show', 'x', '--nope'], /^lab workshop: show: unknown option --nope/],
    [['workshop', 'list', 'extra'], /^lab workshop: list: expected 0 argument/],
  ];
  for (const [args, first] of cases) {
    const result = await lab(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] as string, first, args.join(' '));
    assert.equal((lines[0] as string).match(/\blab [a-z]+:/g)?.length, 1, `one prefix: ${lines[0]}`);
  }
});

test('lab audit refuses a --duration too short to raise any finding, the minimum derived from the thresholds file (real CLI)', async () => {
  const short = await lab(['audit', '--metrics', 'http://127.0.0.1:9/metrics', '--duration', '5s']);
  assert.equal(short.code, 2, short.stdout + short.stderr);
  assert.equal(short.stdout, '');
  assert.match(
    short.stderr,
    /^lab audit: --duration 5s is too short to raise any finding with .*thresholds\.yml: .*the longest for: 6s \(event_loop_starvation\), plus one scrape interval \(1s\); use 12s or more\n$/,
  );
  // The minimum follows the loaded file: longer for: values raise it, shorter ones lower it.
  const config = join(dir, 'audit.yml');
  assert.equal((await lab(['audit', '--init', config])).code, 0);
  const text = readFileSync(config, 'utf8');
  writeFileSync(config, text.replace(/^( {4}for: )6s$/m, '$120s'));
  const slow = await lab(['audit', '--config', config, '--metrics', 'http://127.0.0.1:9/metrics']);
  assert.equal(slow.code, 2);
  assert.match(slow.stderr, /--duration 15s is too short .* use 26s or more/);
  writeFileSync(config, text.replace(/^range: 10s$/m, 'range: 4s').replace(/^( {4}for: )\d+s$/gm, '$11s'));
  const fast = await lab(['audit', '--config', config, '--metrics', 'http://127.0.0.1:9/metrics', '--duration', '5s']);
  assert.equal(fast.code, 2, 'nothing listens on port 9');
  assert.doesNotMatch(fast.stderr, /too short/, 'range 4s, for: 1s: 5s is long enough');
});

test('lab fault --help without a reachable api says where the default TTL comes from (real CLI)', async () => {
  const help = await lab(['fault', '--help', '--api', 'http://127.0.0.1:9']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(
    help.stdout,
    /--ttl S {3}seconds until it switches itself off: default: the api's \(GET \/admin\/catalogue\), which did not answer at http:\/\/127\.0\.0\.1:9 /,
  );
  assert.match(help.stdout, /does not merge/);
});
