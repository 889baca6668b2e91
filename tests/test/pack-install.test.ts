// What the repository would publish, installed the way a user installs it: `pnpm pack` each package
// (pnpm turns `workspace:` and `catalog:` versions into plain ones, which `npm pack` would leave
// as they are and npm could not install), then plain `npm install` of the tarballs into a fresh
// project in the OS temp directory, outside the repository, and use it there.
// Needs the npm registry (fastify, prom-client, yaml… come from it): run it outside netns-run;
// every port it opens is 0.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, readText, repoPath, requireBinary } from '@runtime-lab/test-kit';

const PACKAGES = {
  'metric-names': 'packages/metric-names',
  values: 'packages/values',
  telemetry: 'packages/telemetry',
  scrape: 'packages/scrape',
  scenarios: 'scenarios',
  audit: 'packages/audit',
  workshop: 'workshop',
  cli: 'packages/cli',
} as const;
type PackageKey = keyof typeof PACKAGES;

let work = '';
const tarballs = new Map<PackageKey, string>();

function sh(command: string, args: string[], cwd: string, timeoutMs = 300_000): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  assert.equal(
    result.status,
    0,
    `${command} ${args.join(' ')} in ${cwd}: exit ${result.status ?? result.signal}\n${result.stdout}\n${result.stderr}`,
  );
  return result.stdout;
}

/** The catalog version of a dependency, from pnpm-workspace.yaml (what the repo itself tests with). */
function catalogVersion(name: string): string {
  const match = new RegExp(`^\\s+"?${name.replace(/[/]/g, '\\/')}"?:\\s*(\\S+)\\s*$`, 'm').exec(readText('pnpm-workspace.yaml'));
  assert.ok(match?.[1], `${name} is in the catalog`);
  return match[1];
}

function tarList(tarball: string): string[] {
  return sh('tar', ['tzf', tarball], work).split('\n').filter(Boolean);
}

function packedManifest(tarball: string): Record<string, Record<string, string> | string> {
  return JSON.parse(sh('tar', ['xzf', tarball, '-O', 'package/package.json'], work)) as Record<string, Record<string, string> | string>;
}

/** A fresh npm project outside the repository with the given tarballs (and registry packages) installed. */
function project(name: string, installs: string[]): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  sh('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...installs], dir);
  return dir;
}

interface Running {
  child: ChildProcess;
  ready: { url: string; metricsUrl: string };
}

async function startNode(cwd: string, file: string): Promise<Running> {
  const child = spawn(process.execPath, [file], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const ready = await new Promise<Running['ready']>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not report ready in 30 s: ${stderr}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as Running['ready']);
    });
  });
  return { child, ready };
}

before(() => {
  requireBinary('pnpm');
  requireBinary('npm');
  work = mkdtempSync(join(tmpdir(), 'lab-pack-'));
  assert.ok(!work.startsWith(REPO_ROOT), `${work} must lie outside the repository`);
  const out = join(work, 'tarballs');
  mkdirSync(out);
  for (const [key, dir] of Object.entries(PACKAGES) as Array<[PackageKey, string]>) {
    const before = new Set(readdirSync(out));
    sh('pnpm', ['pack', '--pack-destination', out], repoPath(dir));
    const added = readdirSync(out).filter((f) => !before.has(f) && f.endsWith('.tgz'));
    assert.equal(added.length, 1, `pnpm pack in ${dir} wrote one tarball: ${added.join(', ')}`);
    tarballs.set(key, join(out, added[0] as string));
  }
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const tarball = (key: PackageKey): string => tarballs.get(key) as string;

describe('@runtime-lab/telemetry from its tarball', () => {
  let app: string;
  let running: Running | undefined;

  before(() => {
    app = project('fastify-app', [tarball('metric-names'), tarball('telemetry'), `fastify@${catalogVersion('fastify')}`]);
  });

  after(() => {
    running?.child.kill('SIGKILL');
  });

  it('ships only what users need: compiled JS and types, README, package.json; plain versions npm understands', () => {
    const files = tarList(tarball('telemetry'));
    const unexpected = files.filter((f) => !/^package\/(package\.json|README\.md|dist\/src\/.+\.(js|d\.ts))$/.test(f));
    assert.deepEqual(unexpected, [], 'no src/, test/, bench/, source maps or build info in the tarball');
    assert.ok(files.includes('package/dist/src/index.js') && files.includes('package/dist/src/watchdog-worker.js'), files.join('\n'));
    const manifest = packedManifest(tarball('telemetry'));
    const versions = JSON.stringify([manifest.dependencies, manifest.peerDependencies, manifest.devDependencies]);
    assert.doesNotMatch(versions, /workspace:|catalog:/);
    assert.deepEqual(manifest.peerDependencies, { fastify: '5.x' });
    assert.equal((manifest.dependencies as Record<string, string>)['@runtime-lab/metric-names'], '0.1.0');
    assert.equal(manifest.private, undefined);
  });

  it('registers in a fresh Fastify app, and its watchdog port answers /metrics while the app loop is blocked', async () => {
    writeFileSync(
      join(app, 'server.mjs'),
      [
        "import Fastify from 'fastify';",
        "import telemetry from '@runtime-lab/telemetry';",
        'const app = Fastify();',
        "await app.register(telemetry, { watchdog: { port: 0, host: '127.0.0.1' } });",
        "app.get('/ping', async () => ({ ok: true }));",
        "app.get('/block', async () => { const end = Date.now() + 1500; while (Date.now() < end); return { blocked: true }; });",
        "await app.listen({ port: 0, host: '127.0.0.1' });",
        'const w = app.telemetry.watchdogAddress();',
        'const port = app.server.address().port;',
        "console.log(JSON.stringify({ url: 'http://127.0.0.1:' + port, metricsUrl: 'http://' + w.host + ':' + w.port + '/metrics' }));",
        '',
      ].join('\n'),
    );
    running = await startNode(app, 'server.mjs');
    const { url, metricsUrl } = running.ready;
    assert.equal((await fetch(`${url}/ping`)).status, 200);
    // The watchdog serves a snapshot the app refreshes every 500 ms: the /ping just made shows up in a later one.
    const names = [
      'runtime_eventloop_delay_seconds_bucket',
      'runtime_watchdog_up 1',
      'nodejs_eventloop_lag_seconds',
      'runtime_http_request_duration_seconds_bucket{',
    ];
    let idle = '';
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 200))) {
      idle = await (await fetch(metricsUrl)).text();
      if (names.every((name) => idle.includes(name))) break;
    }
    for (const name of names) assert.ok(idle.includes(name), `${name} in the scrape:\n${idle}`);
    const blocked = fetch(`${url}/block`);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const during = await fetch(metricsUrl, { signal: AbortSignal.timeout(1000) });
    assert.equal(during.status, 200, 'the watchdog answers while the main loop is blocked');
    const stall = Number(/^runtime_eventloop_stall_seconds ([\d.e+-]+)$/m.exec(await during.text())?.[1]);
    assert.ok(stall >= 0.3, `the live stall gauge sees the block in progress: ${stall} s`);
    assert.equal((await blocked).status, 200);
  });

  it('type-checks in a strict TypeScript consumer without piscina installed', () => {
    assert.throws(() => readFileSync(join(app, 'node_modules/piscina/package.json')), 'piscina is not installed in the consumer');
    writeFileSync(
      join(app, 'consumer.ts'),
      [
        "import telemetry, { type PoolLike, type TelemetryOptions } from '@runtime-lab/telemetry';",
        "import { measured } from '@runtime-lab/telemetry/pool-worker';",
        "import { METRIC_EVENTLOOP_DELAY_SECONDS } from '@runtime-lab/metric-names';",
        "import Fastify from 'fastify';",
        'const options: TelemetryOptions = { watchdog: { port: 0 }, threadpoolCanary: false };',
        'const app = Fastify();',
        'await app.register(telemetry, options);',
        'declare const pool: PoolLike;',
        "const reports = app.telemetry.instrumentPool('report', pool);",
        'const rows: number = await reports.run<number>({ rows: 1 });',
        'export const handler = measured(async (task: { rows: number }) => task.rows + rows);',
        "export const name: 'runtime_eventloop_delay_seconds' = METRIC_EVENTLOOP_DELAY_SECONDS;",
        '',
      ].join('\n'),
    );
    const tsc = repoPath('node_modules/.bin/tsc');
    sh(
      tsc,
      [
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        'false',
        '--target',
        'es2023',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--types',
        'node',
        '--typeRoots',
        repoPath('node_modules/@types'),
        'consumer.ts',
      ],
      app,
    );
  });
});

describe('the lab CLI (with the runner and the auditor) from its tarballs', () => {
  let cliProject: string;
  let service: Running | undefined;

  before(() => {
    // The cli depends on the workshop, which depends on the plugin (its exercise service uses it).
    const keys: PackageKey[] = ['metric-names', 'values', 'scrape', 'telemetry', 'scenarios', 'audit', 'workshop', 'cli'];
    for (const key of keys) {
      const versions = packedManifest(tarball(key));
      assert.doesNotMatch(
        JSON.stringify([versions.dependencies, versions.devDependencies]),
        /workspace:|catalog:/,
        `${key}: plain versions`,
      );
      assert.deepEqual(
        tarList(tarball(key)).filter((f) => /\.(ts|map)$/.test(f) && !/\.d\.c?ts$/.test(f)),
        [],
        `${key}: no sources or maps`,
      );
    }
    assert.ok(tarList(tarball('audit')).includes('package/dist/thresholds.yml'), 'the auditor ships the default thresholds');
    cliProject = project('lab-cli', keys.map(tarball));
  });

  after(() => {
    service?.child.kill('SIGKILL');
  });

  const lab = (args: string[], cwd: string) =>
    spawnSync(join(cliProject, 'node_modules/.bin/lab'), args, {
      cwd,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, LAB_AUDIT_CONFIG: '' },
    });

  it('lab audit --init writes the shipped default thresholds, byte for byte the repo file', () => {
    const dir = join(work, 'init');
    mkdirSync(dir);
    const result = lab(['audit', '--init'], dir);
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    assert.equal(readFileSync(join(dir, 'lab-audit.yml'), 'utf8'), readText('prometheus/thresholds.yml'));
  });

  it('lab audit --metrics judges a live watchdog endpoint with the shipped thresholds', async () => {
    const app = join(work, 'fastify-app');
    service = await startNode(app, 'server.mjs');
    const result = lab(['audit', '--metrics', service.ready.metricsUrl, '--duration', '12s', '--interval', '1s'], work);
    // The verdict on an idle app depends on this machine's load; a config or connection error is exit 2.
    assert.ok(result.status === 0 || result.status === 1, `exit ${result.status}: ${result.stderr}${result.stdout}`);
    assert.match(result.stdout, /^lab audit: (HEALTHY|DEGRADED|CRITICAL)/);
    assert.ok(
      result.stdout.includes(`thresholds  ${join(cliProject, 'node_modules/@runtime-lab/audit/dist/thresholds.yml')}\n`),
      `the shipped thresholds were used:\n${result.stdout}`,
    );
  });
});
