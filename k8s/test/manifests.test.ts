// The manifests, statically (no cluster can run here): every object against its Kubernetes,
// Prometheus Operator or KEDA schema, the committed YAML against the code, and every
// cross-reference against the thing it names: selectors and labels, ports and the environment
// the services read, probe paths and the routes that exist, images and the Dockerfile.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { alertRules, loadThresholds } from '@runtime-lab/audit';
import { readServiceEnv } from '@runtime-lab/service-kit';
import { readText as readRepo, REPO_ROOT as REPO } from '@runtime-lab/test-kit';
import { assertTargetAllowed } from '@runtime-lab/scenarios';
import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { ConfigMap, type IContainer, type IPodTemplateSpec, Service } from 'kubernetes-models/v1';
import { parse, parseAllDocuments } from 'yaml';
import {
  ADMIN_SECRET,
  apiCpuHpa,
  apiScaledObject,
  CLIENT_LABEL,
  DATASOURCE_UID,
  findStaleManifests,
  imageFor,
  LIVENESS_MAX_STALL_MS,
  MANIFESTS_DIR,
  MONITORING_NAMESPACE,
  type Manifest,
  manifestFiles,
  NAMESPACE,
  PROMETHEUS_URL,
  RUNNER,
  renderManifestFile,
  SERVICES,
  validateManifests,
} from '../src/index.js';

const files = manifestFiles();
const objects = files.flatMap((f) => f.objects);
const json = (o: Manifest): unknown => JSON.parse(JSON.stringify(o));
const ofClass = <T extends Manifest>(cls: new (...args: never[]) => T): T[] => objects.filter((o): o is T => o instanceof cls);
function named<T extends Manifest>(list: T[], name: string): T {
  const found = list.find((o) => o.metadata?.name === name);
  assert.ok(found, `no ${list[0]?.kind ?? 'object'} ${name}`);
  return found;
}
const deployments = ofClass(Deployment);
const services = ofClass(Service);
const jobs = ofClass(Job);
const podMonitors = ofClass(PodMonitor);
const networkPolicies = ofClass(NetworkPolicy);
const configMaps = ofClass(ConfigMap);
const labelsOf = (selector: { matchLabels?: Record<string, string> | undefined } | undefined): Record<string, string> =>
  selector?.matchLabels ?? {};

/** Pod templates with where they come from. */
function podTemplates(): Array<{ owner: string; template: IPodTemplateSpec }> {
  return [...deployments, ...jobs].map((o) => ({ owner: `${o.kind} ${o.metadata?.name}`, template: o.spec?.template ?? {} }));
}
const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined): boolean =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);
function podsSelectedBy(selector: Record<string, string>): Array<{ owner: string; template: IPodTemplateSpec }> {
  return podTemplates().filter((p) => matches(selector, p.template.metadata?.labels));
}
const containerPortNames = (template: IPodTemplateSpec): Map<string, number> =>
  new Map(template.spec?.containers.flatMap((c) => (c.ports ?? []).map((p) => [p.name ?? '', p.containerPort] as const)) ?? []);
const container = (deploymentName: string): IContainer => {
  const c = named(deployments, deploymentName).spec?.template.spec?.containers[0];
  assert.ok(c);
  return c;
};
const envOf = (c: IContainer): Record<string, string> =>
  Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? '']));

describe('schemas (kubernetes-models, @kubernetes-models/prometheus-operator, @kubernetes-models/keda)', () => {
  it('every object validates against its schema', () => {
    validateManifests(files);
    const kinds = new Set(objects.map((o) => `${o.apiVersion}/${o.kind}`));
    for (const k of [
      'apps/v1/Deployment',
      'v1/Service',
      'batch/v1/Job',
      'networking.k8s.io/v1/NetworkPolicy',
      'monitoring.coreos.com/v1/PodMonitor',
      'monitoring.coreos.com/v1/PrometheusRule',
      'keda.sh/v1alpha1/ScaledObject',
      'v1/ConfigMap',
      'autoscaling/v2/HorizontalPodAutoscaler',
    ]) {
      assert.ok(kinds.has(k), `expected a ${k}`);
    }
  });

  it('a schema violation fails validation, naming the file, the object and the field', () => {
    const broken = new Deployment(json(named(deployments, 'api')) as Deployment);
    const port = broken.spec?.template.spec?.containers[0]?.ports?.[0];
    assert.ok(port);
    (port as { containerPort: unknown }).containerPort = 'http';
    assert.throws(
      () => validateManifests([{ path: '20-api.yaml', about: '', objects: [broken] }]),
      /20-api\.yaml: Deployment api: .*containerPort must be integer/,
    );
    const keda = apiScaledObject();
    const trigger = keda.spec.triggers[0];
    assert.ok(trigger);
    (trigger as { metadata: unknown }).metadata = 'not an object';
    assert.throws(() => validateManifests([{ path: 'keda.yaml', about: '', objects: [keda] }]), /keda\.yaml: ScaledObject api: .*metadata/);
  });

  it('every namespaced object lives in the lab namespace, with a unique kind/name', () => {
    const seen = new Set<string>();
    for (const o of objects) {
      const key = `${o.kind}/${o.metadata?.name}`;
      assert.ok(!seen.has(key), `duplicate ${key}`);
      seen.add(key);
      if (o.kind !== 'Namespace') assert.equal(o.metadata?.namespace, NAMESPACE, key);
    }
  });
});

describe('emitted YAML (k8s/manifests/)', () => {
  it('is up to date with the code', () => {
    assert.deepEqual(findStaleManifests(), [], 'run `pnpm --filter @runtime-lab/k8s generate` and commit k8s/manifests/');
  });

  it('the staleness check sees an edited file, a missing one and one it did not generate', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-stale-'));
    try {
      for (const file of files.slice(1)) {
        const target = join(dir, file.path);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, renderManifestFile(file));
      }
      writeFileSync(join(dir, files[1]?.path ?? ''), `${renderManifestFile(files[1] as (typeof files)[number])}# edited\n`);
      writeFileSync(join(dir, 'extra.yaml'), 'kind: ConfigMap\n');
      const stale = findStaleManifests(dir).sort((a, b) => a.path.localeCompare(b.path));
      assert.deepEqual(
        stale,
        [
          { path: files[0]?.path, reason: 'missing' },
          { path: files[1]?.path, reason: 'differs' },
          { path: 'extra.yaml', reason: 'not generated' },
        ].sort((a, b) => String(a.path).localeCompare(String(b.path))),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('each file parses back into exactly the objects the code built', () => {
    for (const file of files) {
      const docs = parseAllDocuments(readFileSync(join(MANIFESTS_DIR, file.path), 'utf8')).map((d) => d.toJS());
      assert.deepEqual(
        docs.filter((d) => d !== null),
        file.objects.map(json),
        file.path,
      );
    }
  });

  it('the plain `kubectl apply -f k8s/manifests/` set needs no CRD; CRD objects sit in subfolders', () => {
    const core = new Set(['v1', 'apps/v1', 'batch/v1', 'networking.k8s.io/v1', 'autoscaling/v2']);
    for (const file of files.filter((f) => !f.path.includes('/'))) {
      for (const o of file.objects) assert.ok(core.has(o.apiVersion), `${file.path}: ${o.apiVersion} ${o.kind} needs a CRD`);
    }
    assert.ok(files[0]?.objects[0]?.kind === 'Namespace' && files[0].path < (files[1]?.path ?? ''), 'the namespace file sorts first');
  });
});

describe('cross-references', () => {
  it('selectors select the pods they mean, and only those', () => {
    for (const d of deployments) {
      assert.ok(
        matches(labelsOf(d.spec?.selector), d.spec?.template.metadata?.labels),
        `Deployment ${d.metadata?.name}: selector ↔ template labels`,
      );
    }
    for (const s of services) {
      const pods = podsSelectedBy(s.spec?.selector ?? {});
      assert.deepEqual(
        pods.map((p) => p.owner),
        [`Deployment ${s.metadata?.name}`],
        `Service ${s.metadata?.name}`,
      );
    }
    for (const m of podMonitors) {
      assert.equal(podsSelectedBy(labelsOf(m.spec.selector)).length, 1, `PodMonitor ${m.metadata?.name} selects exactly one workload`);
    }
    for (const p of networkPolicies) {
      assert.equal(podsSelectedBy(labelsOf(p.spec?.podSelector)).length, 1, `NetworkPolicy ${p.metadata?.name}`);
    }
    const clients = podsSelectedBy({ [CLIENT_LABEL.key]: CLIENT_LABEL.value }).map((p) => p.owner);
    assert.deepEqual(clients, [`Job ${RUNNER.name}-${RUNNER.scenario}`], 'the runner is the one lab client');
    for (const target of [apiScaledObject().spec.scaleTargetRef.name, apiCpuHpa().spec?.scaleTargetRef.name]) {
      assert.equal(named(deployments, target ?? '').metadata?.name, SERVICES.api.name);
    }
  });

  it('named ports resolve: Services, probes, PodMonitors and NetworkPolicies name container ports', () => {
    for (const s of services) {
      const ports = containerPortNames(podsSelectedBy(s.spec?.selector ?? {})[0]?.template ?? {});
      for (const p of s.spec?.ports ?? [])
        assert.ok(ports.has(String(p.targetPort)), `Service ${s.metadata?.name}: targetPort ${p.targetPort}`);
    }
    for (const name of Object.keys(SERVICES)) {
      const c = container(name);
      const ports = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]));
      for (const probe of [c.livenessProbe, c.readinessProbe])
        assert.ok(ports.has(String(probe?.httpGet?.port)), `${name}: probe port ${probe?.httpGet?.port}`);
    }
    for (const m of podMonitors) {
      const ports = containerPortNames(podsSelectedBy(labelsOf(m.spec.selector))[0]?.template ?? {});
      for (const e of m.spec.podMetricsEndpoints ?? [])
        assert.ok(ports.has(String(e.port)), `PodMonitor ${m.metadata?.name}: port ${e.port}`);
    }
    for (const p of networkPolicies) {
      const ports = containerPortNames(podsSelectedBy(labelsOf(p.spec?.podSelector))[0]?.template ?? {});
      for (const rule of p.spec?.ingress ?? []) {
        for (const port of rule.ports ?? [])
          assert.ok(ports.has(String(port.port)), `NetworkPolicy ${p.metadata?.name}: port ${port.port}`);
      }
    }
  });

  it('container ports are the ports the services read from their environment', () => {
    for (const spec of Object.values(SERVICES)) {
      const c = container(spec.name);
      const env = readServiceEnv(envOf(c), { port: -1, metricsPort: -1 });
      const ports = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]));
      assert.equal(ports.get('http'), env.port, `${spec.name}: PORT ↔ containerPort http`);
      assert.equal(ports.get('metrics'), env.metricsPort, `${spec.name}: METRICS_PORT ↔ containerPort metrics`);
      assert.equal(env.host, '0.0.0.0', `${spec.name}: HOST must accept traffic from outside the pod`);
      assert.equal(env.livenessMaxStallMs, LIVENESS_MAX_STALL_MS, `${spec.name}: LIVENESS_MAX_STALL_MS`);
      assert.equal(envOf(c).METRICS_HOST, '0.0.0.0', `${spec.name}: the watchdog must accept the kubelet and Prometheus`);
      const token = (c.env ?? []).find((e) => e.name === 'LAB_ADMIN_TOKEN');
      assert.deepEqual(token?.valueFrom?.secretKeyRef, { name: ADMIN_SECRET.name, key: ADMIN_SECRET.key, optional: true });
    }
    const downstreamService = named(services, SERVICES.downstream.name);
    const http = downstreamService.spec?.ports?.find((p) => p.name === 'http');
    assert.equal(envOf(container('api')).DOWNSTREAM_URL, `http://${downstreamService.metadata?.name}:${http?.port}`);
  });

  it("container ports are the ones the Dockerfile's stage sets and exposes", () => {
    const dockerfile = readRepo('Dockerfile');
    for (const spec of Object.values(SERVICES)) {
      const stage = dockerfile.split(/^FROM /m).find((s) => new RegExp(`^\\S+ AS ${spec.target}\\n`).test(s)) ?? '';
      const env = Object.fromEntries([...(/^ENV (.+)$/m.exec(stage)?.[1] ?? '').matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
      const exposed = (/^EXPOSE (.+)$/m.exec(stage)?.[1] ?? '').split(/\s+/).map(Number);
      const ports = new Map((container(spec.name).ports ?? []).map((p) => [p.name, p.containerPort]));
      assert.equal(String(ports.get('http')), env.PORT, `${spec.name}: containerPort http ↔ Dockerfile ENV PORT`);
      assert.equal(String(ports.get('metrics')), env.METRICS_PORT, `${spec.name}: containerPort metrics ↔ Dockerfile ENV METRICS_PORT`);
      assert.deepEqual(exposed, [ports.get('http'), ports.get('metrics')], `${spec.name}: Dockerfile EXPOSE`);
    }
  });

  it('the runner Job points at the api Service and serves its own metrics where its PodMonitor looks', () => {
    const job = named(jobs, `${RUNNER.name}-${RUNNER.scenario}`);
    const c = job.spec?.template.spec?.containers[0];
    assert.ok(c);
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
    const api = named(services, SERVICES.api.name);
    const port = (name: string): number | undefined => api.spec?.ports?.find((p) => p.name === name)?.port;
    assert.equal(env.LAB_API_URL, `http://${api.metadata?.name}:${port('http')}`);
    assert.equal(env.LAB_API_METRICS_URL, `http://${api.metadata?.name}:${port('metrics')}/metrics`);
    assert.equal(Number(env.LAB_RUNNER_METRICS_PORT), c.ports?.find((p) => p.name === 'metrics')?.containerPort);
    assert.equal(c.args?.[0], 'run');
    assert.ok(c.args?.includes('--no-start'), 'in a cluster the runner must not start services of its own');
    // Without --allow-remote the runner only targets loopback and the compose service names.
    for (const url of [env.LAB_API_URL, env.LAB_API_METRICS_URL])
      assertTargetAllowed(url ?? '', 'the runner target', c.args?.includes('--allow-remote') ?? false);
    readRepo(`scenarios/src/catalogue/${c.args?.[1]}.scenario.ts`);
  });

  it('passes the containers only environment variables their code reads', () => {
    const sources: Record<string, string[]> = {
      api: ['services/api/src', 'packages/service-kit/src'],
      downstream: ['services/downstream/src', 'packages/service-kit/src'],
      runner: ['packages/cli/src', 'scenarios/src', 'packages/audit/src'],
    };
    const code = (dirs: string[]): string =>
      dirs
        .flatMap((dir) =>
          readdirSync(join(REPO, dir), { recursive: true, encoding: 'utf8' })
            .filter((f) => f.endsWith('.ts'))
            .map((f) => readRepo(join(dir, f))),
        )
        .join('\n');
    for (const t of podTemplates()) {
      const name = t.template.metadata?.labels?.['app.kubernetes.io/name'] ?? '';
      const text = code(sources[name] ?? []);
      for (const e of t.template.spec?.containers.flatMap((c) => c.env ?? []) ?? []) {
        assert.match(
          text,
          new RegExp(`\\b${e.name}\\b`),
          `${t.owner}: ${e.name} is set but no code in ${sources[name]?.join(', ')} reads it`,
        );
      }
    }
  });

  it("images are the ones docker compose builds, from the Dockerfile's stages", () => {
    const stages = [...readRepo('Dockerfile').matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);
    const compose = parse(readRepo('docker-compose.yml')) as { services: Record<string, { image?: string; build?: { target?: string } }> };
    for (const t of podTemplates()) {
      for (const c of t.template.spec?.containers ?? []) {
        const target = /^runtime-lab\/([a-z-]+):local$/.exec(c.image ?? '')?.[1];
        assert.ok(target && stages.includes(target), `${t.owner}: image ${c.image} is no Dockerfile stage (${stages.join(', ')})`);
        assert.equal(c.image, imageFor(target));
        const built = Object.values(compose.services).find((s) => s.build?.target === target);
        assert.equal(built?.image, c.image, `${t.owner}: docker compose builds target ${target} as ${built?.image}`);
      }
    }
  });

  it("PodMonitors give Prometheus the compose config's job names, every 2 s like it", () => {
    const composeJobs = parse(readRepo('prometheus/prometheus.yml')) as {
      scrape_configs: Array<{ job_name: string }>;
      global: { scrape_interval: string };
    };
    const jobNames = podMonitors.map(
      (m) => podsSelectedBy(labelsOf(m.spec.selector))[0]?.template.metadata?.labels?.[m.spec.jobLabel ?? ''],
    );
    assert.deepEqual(
      jobNames.sort(),
      composeJobs.scrape_configs
        .map((s) => s.job_name)
        .filter((j) => j !== 'prometheus')
        .sort(),
    );
    for (const m of podMonitors) {
      for (const e of m.spec.podMetricsEndpoints ?? []) assert.equal(e.interval, composeJobs.global.scrape_interval);
      assert.ok(m.metadata?.labels?.release, 'kube-prometheus-stack selects by the release label');
    }
  });

  it('the PrometheusRule holds the committed recording rules and the alerts generated from thresholds.yml', () => {
    const rule = named(ofClass(PrometheusRule), 'runtime-lab');
    const groups = json(rule) as { spec: { groups: unknown[] } };
    const recording = parse(readRepo('prometheus/rules/recording.yml')) as { groups: unknown[] };
    const committedAlerts = parse(readRepo('prometheus/rules/alerts.yml')) as { groups: Array<{ name: string; rules: unknown[] }> };
    assert.deepEqual(groups.spec.groups.slice(0, recording.groups.length), recording.groups);
    assert.deepEqual(
      groups.spec.groups.slice(recording.groups.length),
      committedAlerts.groups,
      'same alerts as prometheus/rules/alerts.yml',
    );
    assert.deepEqual(committedAlerts.groups[0]?.rules, JSON.parse(JSON.stringify(alertRules(loadThresholds()))));
  });

  it('the dashboard ConfigMaps carry grafana/dashboards/*.json for the sidecar, naming the datasource we ship', () => {
    const dashboards = readdirSync(join(REPO, 'grafana/dashboards'))
      .filter((f) => f.endsWith('.json'))
      .sort();
    const maps = configMaps.filter((m) => m.metadata?.labels?.grafana_dashboard === '1');
    assert.deepEqual(maps.flatMap((m) => Object.keys(m.data ?? {})).sort(), dashboards);
    for (const m of maps) {
      for (const [file, text] of Object.entries(m.data ?? {})) {
        assert.equal(text, readRepo(`grafana/dashboards/${file}`));
        // kubectl apply keeps a copy in an annotation limited to 256 KiB.
        assert.ok(Buffer.byteLength(JSON.stringify(m)) < 256 * 1024, `${m.metadata?.name} is too large for kubectl apply`);
        const uids = new Set([...text.matchAll(/"datasource":\s*\{[^}]*"uid":\s*"([^"]+)"/g)].map((x) => x[1]));
        assert.deepEqual([...uids], [DATASOURCE_UID], `${file} datasources`);
      }
    }
    const datasource = parse(Object.values(named(configMaps, 'runtime-lab-datasource').data ?? {})[0] ?? '');
    assert.equal(datasource.datasources[0].uid, DATASOURCE_UID);
    assert.equal(datasource.datasources[0].url, PROMETHEUS_URL);
  });

  it('the NetworkPolicies let Prometheus in from the namespace KEDA and Grafana reach it in', () => {
    assert.match(PROMETHEUS_URL, new RegExp(`\\.${MONITORING_NAMESPACE}\\.svc:`));
    for (const p of networkPolicies) {
      const ruleFor = (port: string) => p.spec?.ingress?.find((r) => r.ports?.some((x) => x.port === port));
      const fromMonitoring = ruleFor('metrics')?.from?.some(
        (f) => labelsOf(f.namespaceSelector)['kubernetes.io/metadata.name'] === MONITORING_NAMESPACE,
      );
      assert.ok(fromMonitoring, `${p.metadata?.name}: Prometheus may scrape the watchdog port`);
      const httpFrom = ruleFor('http')?.from ?? [];
      assert.ok(httpFrom.length > 0, `${p.metadata?.name}: the app port admits named peers only`);
      assert.ok(
        !httpFrom.some((f) => f.namespaceSelector),
        `${p.metadata?.name}: the app port (and so /admin) is not open to other namespaces`,
      );
    }
  });
});
