// docker-compose.yml, checked statically (compose-run.test.ts starts it on a Docker engine): Debian's
// docker-compose 1.29 must accept it, and what it resolves to must agree with Prometheus's
// targets, the services' ports, the files it mounts, the Grafana provisioning, and the
// Dockerfile it builds from.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { HOME_DASHBOARD_UID } from '@runtime-lab/grafana';
import {
  type ComposeService,
  composeConfig,
  dockerfileStages,
  effective,
  mebibytes,
  parsePort,
  parseVolume,
  type ResolvedCompose,
} from '../src/compose.js';
import { prometheusConfig, REPO_ROOT, readText, readYaml, repoPath, scrapeTargets } from '@runtime-lab/test-kit';

let compose: ResolvedCompose;
let services: Record<string, ComposeService>;

function service(name: string): ComposeService {
  const found = services[name];
  assert.ok(found, `docker-compose.yml has no service "${name}"`);
  return found;
}

/** The repo-relative path of a bind mount's source, as resolved (absolute) by docker-compose. */
function repoRelative(source: string): string {
  assert.ok(source.startsWith(REPO_ROOT), `${source} is outside the repo`);
  return source.slice(REPO_ROOT.length);
}

/** Where a path inside a container comes from on the host, through the service's bind mounts. */
function hostPathOf(svc: ComposeService, containerPath: string): string | undefined {
  for (const mount of (svc.volumes ?? []).map(parseVolume)) {
    if (containerPath === mount.target) return repoRelative(mount.source);
    if (containerPath.startsWith(`${mount.target}/`)) return join(repoRelative(mount.source), containerPath.slice(mount.target.length + 1));
  }
  return undefined;
}

/** Package name -> repo directory, for every workspace package. */
function workspacePackages(): Map<string, string> {
  const dirs = ['packages', 'services']
    .flatMap((group) => readdirSync(repoPath(group)).map((d) => `${group}/${d}`))
    .concat(['scenarios', 'grafana']);
  const map = new Map<string, string>();
  for (const dir of dirs) {
    if (!existsSync(repoPath(dir, 'package.json'))) continue;
    map.set((JSON.parse(readFileSync(repoPath(dir, 'package.json'), 'utf8')) as { name: string }).name, dir);
  }
  return map;
}

before(() => {
  compose = composeConfig().resolved;
  services = compose.services;
});

describe('docker-compose.yml (static)', () => {
  it("is accepted by Debian's docker-compose 1.29, without a top-level name", () => {
    assert.ok(Object.keys(services).length >= 5);
    const raw = parse(readText('docker-compose.yml')) as Record<string, unknown>;
    assert.equal(raw.name, undefined, 'docker-compose 1.29 rejects a top-level name:');
    assert.match(readText('docker-compose.yml'), /1\.29/, 'a comment says which compose versions the file targets');
  });

  it('has the lab services, the runner on demand under a profile', () => {
    assert.deepEqual(Object.keys(services).sort(), ['api', 'downstream', 'grafana', 'lab', 'prometheus']);
    assert.deepEqual(service('lab').profiles, ['lab'], 'the runner starts only with `docker compose run lab`');
    for (const name of ['api', 'downstream', 'prometheus', 'grafana'])
      assert.equal(service(name).profiles, undefined, `${name} starts with up`);
  });

  it('binds host ports to 127.0.0.1 by default, and every one can be moved', () => {
    const published = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => [name, parsePort(p)] as const));
    assert.ok(published.length >= 7);
    for (const [name, p] of published) assert.equal(p.hostIp, '127.0.0.1', `${name}: ${JSON.stringify(p)}`);
    const moved = composeConfig({
      LAB_BIND_ADDRESS: '0.0.0.0',
      API_PORT: '18080',
      API_METRICS_PORT: '19464',
      RUNNER_METRICS_PORT: '19466',
      DOWNSTREAM_PORT: '18081',
      DOWNSTREAM_METRICS_PORT: '19465',
      PROMETHEUS_PORT: '19090',
      GRAFANA_PORT: '13000',
    }).resolved.services;
    const hostPorts = Object.values(moved).flatMap((s) => (s.ports ?? []).map(parsePort));
    assert.deepEqual(hostPorts.map((p) => p.hostPort).sort(), [13000, 18080, 18081, 19090, 19464, 19465, 19466]);
    assert.ok(hostPorts.every((p) => p.hostIp === '0.0.0.0'));
  });

  it('points every Prometheus target at a compose service listening on that port', () => {
    const targets = scrapeTargets();
    const env = (name: string, key: string): string | null | undefined => service(name).environment?.[key];
    const containerPorts = (name: string): number[] => (service(name).ports ?? []).map((p) => parsePort(p).containerPort);

    assert.deepEqual(targets.get('api'), [`api:${env('api', 'METRICS_PORT')}`]);
    assert.ok(containerPorts('api').includes(Number(env('api', 'METRICS_PORT'))), 'api watchdog port published');
    assert.deepEqual(targets.get('downstream'), [`downstream:${env('downstream', 'METRICS_PORT')}`]);
    assert.ok(containerPorts('downstream').includes(Number(env('downstream', 'METRICS_PORT'))), 'downstream watchdog port published');
    // The runner lives in the api container's network namespace (see the comment in the compose file).
    assert.equal(service('lab').network_mode, 'service:api');
    assert.deepEqual(targets.get('runner'), [`api:${env('lab', 'LAB_RUNNER_METRICS_PORT')}`]);
    assert.ok(
      containerPorts('api').includes(Number(env('lab', 'LAB_RUNNER_METRICS_PORT'))),
      'runner metrics published on the api container',
    );
    assert.deepEqual(targets.get('prometheus'), ['localhost:9090']);
    assert.ok(containerPorts('prometheus').includes(9090));
    // The api reaches downstream by its service name and HTTP port.
    assert.equal(env('api', 'DOWNSTREAM_URL'), `http://downstream:${env('downstream', 'PORT')}`);
    assert.ok(containerPorts('downstream').includes(Number(env('downstream', 'PORT'))));
    assert.ok(containerPorts('api').includes(Number(env('api', 'PORT'))));
    // Watchdogs listen beyond loopback, or Prometheus in its own container could not scrape them.
    assert.equal(env('api', 'METRICS_HOST'), '0.0.0.0');
    assert.equal(env('downstream', 'METRICS_HOST'), '0.0.0.0');
  });

  it('passes our services only environment variables their code reads', () => {
    // A misspelt or unimplemented variable would be ignored silently inside the container.
    const sources: Record<string, string[]> = {
      api: ['services/api/src', 'services/downstream/src', 'packages/telemetry/src'],
      downstream: ['services/downstream/src', 'packages/telemetry/src'],
      lab: ['packages/cli/src', 'scenarios/src', 'packages/audit/src'],
    };
    for (const [name, dirs] of Object.entries(sources)) {
      const code = dirs.flatMap((dir) => sourceFiles(repoPath(dir)).map((file) => readFileSync(file, 'utf8'))).join('\n');
      for (const variable of Object.keys(service(name).environment ?? {})) {
        const read = new RegExp(`\\b${variable}\\b`).test(code);
        assert.ok(read, `${name}: ${variable} is set in docker-compose.yml but no code in ${dirs.join(', ')} reads it`);
      }
    }
  });

  it('mounts configuration that exists, read-only, where the containers look for it', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const mount of (svc.volumes ?? []).map(parseVolume)) {
        const source = repoRelative(mount.source);
        if (name === 'lab' && mount.target.endsWith('/reports')) continue; // output, not configuration
        assert.ok(existsSync(repoPath(source)), `${name}: mounts ${source}, which does not exist`);
        assert.ok(mount.readOnly, `${name}: ${source} is configuration, mount it :ro`);
      }
    }
    const prometheus = service('prometheus');
    const configFlag = (prometheus.command ?? []).find((c) => c.startsWith('--config.file='));
    assert.ok(configFlag, 'prometheus --config.file');
    const configInContainer = configFlag.slice('--config.file='.length);
    assert.equal(hostPathOf(prometheus, configInContainer), 'prometheus/prometheus.yml');
    for (const ruleGlob of prometheusConfig().rule_files) {
      const ruleDir = posix.dirname(posix.join(posix.dirname(configInContainer), ruleGlob));
      assert.equal(hostPathOf(prometheus, ruleDir), 'prometheus/rules', `rule_files ${ruleGlob} resolves inside the container`);
    }

    const grafana = service('grafana');
    const dashboardsProvider = readYaml<{ providers: Array<{ options: { path: string } }> }>(
      'grafana/provisioning/dashboards/runtime-lab.yml',
    );
    assert.equal(hostPathOf(grafana, dashboardsProvider.providers[0]?.options.path ?? ''), 'grafana/dashboards');
    assert.equal(hostPathOf(grafana, '/etc/grafana/provisioning/datasources'), 'grafana/provisioning/datasources');
    assert.equal(hostPathOf(grafana, '/etc/grafana/provisioning/dashboards'), 'grafana/provisioning/dashboards');
    const home = grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? '';
    assert.equal(hostPathOf(grafana, home), `grafana/dashboards/${HOME_DASHBOARD_UID}.json`);
    assert.ok(existsSync(repoPath('grafana/dashboards', `${HOME_DASHBOARD_UID}.json`)));

    const datasource = readYaml<{ datasources: Array<{ url: string }> }>('grafana/provisioning/datasources/prometheus.yml').datasources[0];
    const url = new URL(datasource?.url ?? '');
    assert.ok(services[url.hostname], `datasource url ${url} names a compose service`);
    assert.ok(containerPortsOf(url.hostname).includes(Number(url.port)), `prometheus listens on ${url.port}`);
  });

  it('gives Grafana anonymous viewers, the admin password from the environment, the home dashboard', () => {
    const env = service('grafana').environment ?? {};
    assert.equal(env.GF_AUTH_ANONYMOUS_ENABLED, 'true');
    assert.equal(env.GF_AUTH_ANONYMOUS_ORG_ROLE, 'Viewer');
    assert.match(readText('docker-compose.yml'), /GF_SECURITY_ADMIN_PASSWORD: \$\{GRAFANA_ADMIN_PASSWORD/);
    const withPassword = composeConfig({ GRAFANA_ADMIN_PASSWORD: 'from-env' }).resolved.services.grafana;
    assert.equal(withPassword?.environment?.GF_SECURITY_ADMIN_PASSWORD, 'from-env');
  });

  it('gives every service a healthcheck, a memory limit, and dependencies by condition; the docs state the total', () => {
    let total = 0;
    let idle = 0;
    for (const [name, svc] of Object.entries(services)) {
      assert.ok(svc.healthcheck?.test && svc.healthcheck.test.length > 1, `${name}: healthcheck`);
      assert.ok(svc.mem_limit !== undefined, `${name}: mem_limit`);
      const mib = mebibytes(svc.mem_limit);
      total += mib;
      if (!svc.profiles) idle += mib;
      for (const [dependency, { condition }] of Object.entries(svc.depends_on ?? {})) {
        assert.ok(services[dependency], `${name} depends on unknown ${dependency}`);
        assert.equal(condition, 'service_healthy', `${name} -> ${dependency}`);
      }
    }
    // Our services are checked with Node's fetch (their images have no curl/wget).
    for (const name of ['api', 'downstream', 'lab'])
      assert.equal(service(name).healthcheck?.test[1], 'node', `${name}: healthcheck with node`);
    assert.match(service('prometheus').healthcheck?.test.join(' ') ?? '', /\/-\/ready/);
    assert.match(service('grafana').healthcheck?.test.join(' ') ?? '', /\/api\/health/);
    assert.ok(service('api').depends_on?.downstream, 'api waits for downstream');
    assert.ok(service('grafana').depends_on?.prometheus, 'grafana waits for prometheus');
    assert.ok(service('lab').depends_on?.api, 'the runner waits for the api');
    const docs = readText('docs/compose.md');
    assert.ok(docs.includes(`${idle} MiB`), `docs/compose.md states the idle total (${idle} MiB)`);
    assert.ok(docs.includes(`${total} MiB`), `docs/compose.md states the total with the runner (${total} MiB)`);
  });

  it('pins every image: a version tag, Prometheus 3.x, no latest', () => {
    const prometheusImage = service('prometheus').image ?? '';
    assert.match(prometheusImage, /^prom\/prometheus:v3\.\d+\.\d+$/);
    assert.match(service('grafana').image ?? '', /^grafana\/grafana:\d+\.\d+\.\d+$/);
    const stages = dockerfileStages();
    const nodeImageArg = /^ARG NODE_IMAGE=(\S+)$/m.exec(readText('Dockerfile'))?.[1] ?? '';
    assert.match(nodeImageArg, /^node:\d+(\.\d+\.\d+)?-[a-z]+-slim$/, 'Node image pinned to an LTS line');
    for (const stage of stages) assert.ok(!stage.from.endsWith(':latest'), `Dockerfile stage ${stage.name} from ${stage.from}`);
  });

  it("builds api, downstream and lab from the Dockerfile's targets: pnpm deploy, non-root, the entry points of the repo", () => {
    const stages = dockerfileStages();
    const packages = workspacePackages();
    const deploys = new Map<string, string>(); // /deploy/x -> package dir
    for (const stage of stages) {
      for (const instruction of stage.instructions) {
        for (const match of instruction.matchAll(/pnpm deploy --filter (\S+) --prod (\S+)/g)) {
          const dir = packages.get(match[1] as string);
          assert.ok(dir, `pnpm deploy --filter ${match[1]}: no such workspace package`);
          deploys.set(match[2] as string, dir);
        }
      }
    }
    for (const name of ['api', 'downstream', 'lab']) {
      const build = service(name).build;
      assert.ok(build, `${name}: built from the repo`);
      assert.equal(build.context, REPO_ROOT.replace(/\/$/, ''), `${name}: build context is the repo root`);
      assert.equal(build.dockerfile ?? 'Dockerfile', 'Dockerfile');
      const target = build.target ?? '';
      assert.ok(
        stages.some((s) => s.name === target),
        `${name}: Dockerfile has no stage "${target}"`,
      );
      const user = effective(stages, target, 'USER');
      assert.ok(user && user !== 'root' && user !== '0', `${name}: runs as a non-root user (USER ${user})`);
      // The package lands at its repo path under /app, so the command is the native one.
      const copy = stages.find((s) => s.name === target)?.instructions.find((i) => i.startsWith('COPY --from=build /deploy/'));
      const [, from, to] = /^COPY --from=build (\S+) (\S+)$/.exec(copy ?? '') ?? [];
      const packageDir = deploys.get(from ?? '');
      assert.ok(packageDir, `${name}: copies a pnpm deploy output (${copy})`);
      assert.equal(to, `/app/${packageDir}`, `${name}: package lands at its repo path`);
      const command = JSON.parse(effective(stages, target, 'ENTRYPOINT') ?? effective(stages, target, 'CMD') ?? '[]') as string[];
      assert.equal(command[0], 'node', `${name}: started with node`);
      const entry = command[1] ?? '';
      assert.ok(entry.startsWith(`${packageDir}/dist/`), `${name}: entry ${entry} is inside ${packageDir}/dist`);
      assert.equal(effective(stages, target, 'WORKDIR'), '/app');
    }
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

function containerPortsOf(name: string): number[] {
  return (service(name).ports ?? []).map((p) => parsePort(p).containerPort);
}
