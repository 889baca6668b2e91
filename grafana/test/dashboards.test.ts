// Static checks of the generated dashboards, as Grafana's file provisioning will read them.
// There is no Grafana binary on these machines, so the JSON is checked for what Grafana needs
// (schema basics, unique uids and ids, the provisioned datasource uid) and for what the lab needs
// (every query parses as PromQL and reads a recorded series; every panel says what to look for).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DASHBOARDS_DIR, findStaleDashboards, generateDashboards, HOME_DASHBOARD_UID, PROMETHEUS_DATASOURCE } from '../src/index.js';
import {
  allPanels,
  allQueries,
  type DashboardJson,
  type QueryRef,
  parsePromql,
  durationMs,
  prometheusConfig,
  readYaml,
  recordingRules,
} from '@runtime-lab/test-kit';

const committed: DashboardJson[] = readdirSync(DASHBOARDS_DIR)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => JSON.parse(readFileSync(join(DASHBOARDS_DIR, name), 'utf8')) as DashboardJson);

/** "dashboard / panel [refId]: problem" lines for queries that do not parse. */
function promqlErrors(queries: QueryRef[]): string[] {
  return queries.flatMap((q) => parsePromql(q.expr).errors.map((e) => `${q.dashboard} / ${q.where} [${q.refId}]: ${e} in ${q.expr}`));
}

interface DatasourceProvisioning {
  apiVersion: number;
  datasources: Array<{ name: string; uid: string; type: string; url: string; isDefault?: boolean; jsonData?: { timeInterval?: string } }>;
}

interface DashboardProvisioning {
  apiVersion: number;
  providers: Array<{ name: string; folder?: string; type: string; allowUiUpdates?: boolean; options: { path: string } }>;
}

describe('generated dashboard JSON', () => {
  it('is up to date with the TypeScript that generates it', () => {
    const stale = findStaleDashboards();
    assert.deepEqual(
      stale,
      [],
      `stale files in grafana/dashboards: ${stale.map((s) => `${s.fileName} (${s.reason})`).join(', ')}; run \`pnpm --filter @runtime-lab/grafana generate\` and commit`,
    );
    assert.equal(committed.length, generateDashboards().length);
  });

  it('staleness check notices an edited, a missing and a leftover file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lab-dashboards-'));
    try {
      cpSync(DASHBOARDS_DIR, dir, { recursive: true });
      assert.deepEqual(findStaleDashboards(dir), []);
      const [first, second] = generateDashboards();
      assert.ok(first && second);
      writeFileSync(
        join(dir, first.fileName),
        readFileSync(join(dir, first.fileName), 'utf8').replace('"refresh": "5s"', '"refresh": "1m"'),
      );
      rmSync(join(dir, second.fileName));
      writeFileSync(join(dir, 'old.json'), '{}\n');
      const reasons = Object.fromEntries(findStaleDashboards(dir).map((s) => [s.fileName, s.reason]));
      assert.deepEqual(reasons, { [first.fileName]: 'differs', [second.fileName]: 'missing', 'old.json': 'not generated' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has unique dashboard uids and the basics of a classic dashboard', () => {
    const uids = committed.map((d) => d.uid);
    assert.equal(new Set(uids).size, uids.length, `duplicate uids: ${uids.join(', ')}`);
    assert.ok(uids.includes(HOME_DASHBOARD_UID), `home dashboard ${HOME_DASHBOARD_UID} is generated`);
    for (const d of committed) {
      assert.match(d.uid, /^[a-z0-9][a-z0-9-]{0,39}$/, `${d.title}: uid`);
      assert.ok(typeof d.title === 'string' && d.title.length > 0, `${d.uid}: title`);
      assert.equal(typeof d.schemaVersion, 'number', `${d.title}: schemaVersion`);
      assert.ok((d.schemaVersion as number) >= 36, `${d.title}: schemaVersion ${d.schemaVersion} predates datasource refs by uid`);
      // Provisioned dashboards must not carry a database id: Grafana assigns it.
      assert.ok(d.id === undefined || d.id === null, `${d.title}: no database id`);
      assert.ok(Array.isArray(d.panels) && d.panels.length > 0, `${d.title}: panels`);
      assert.equal(d.editable, false, `${d.title}: read-only, the TypeScript is the source`);
      assert.deepEqual(d.tags, ['runtime-lab'], `${d.title}: tags`);
    }
  });

  it('has unique panel ids, known panel types, and a layout inside the 24-column grid without overlaps', () => {
    const types = new Set(['row', 'timeseries', 'stat']);
    for (const d of committed) {
      const panels = allPanels(d);
      const ids = panels.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length, `${d.title}: duplicate panel ids ${ids.join(',')}`);
      const boxes: Array<{ title: string; x: number; y: number; w: number; h: number }> = [];
      for (const p of panels) {
        assert.ok(types.has(p.type), `${d.title} / ${p.title}: unexpected panel type ${p.type}`);
        assert.ok(Number.isInteger(p.id) && (p.id as number) > 0, `${d.title} / ${p.title}: id`);
        const g = p.gridPos;
        assert.ok(g, `${d.title} / ${p.title}: gridPos`);
        assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0 && g.y >= 0, `${d.title} / ${p.title}: gridPos ${JSON.stringify(g)}`);
        for (const other of boxes) {
          const overlap = g.x < other.x + other.w && other.x < g.x + g.w && g.y < other.y + other.h && other.y < g.y + g.h;
          assert.ok(!overlap, `${d.title}: "${p.title}" overlaps "${other.title}"`);
        }
        boxes.push({ title: p.title, ...g });
      }
    }
  });

  it('gives every panel a description that says what to look for', () => {
    for (const d of committed) {
      for (const p of allPanels(d).filter((panel) => panel.type !== 'row')) {
        assert.ok(
          typeof p.description === 'string' && p.description.length >= 60,
          `${d.title} / ${p.title}: description missing or too short to say what to look for`,
        );
        assert.ok((p.targets ?? []).length > 0, `${d.title} / ${p.title}: no query`);
        const refIds = (p.targets ?? []).map((t) => t.refId);
        assert.equal(new Set(refIds).size, refIds.length, `${d.title} / ${p.title}: duplicate refIds`);
      }
    }
  });

  it('points every panel, query and annotation at the provisioned datasource uid', () => {
    const provisioning = readYaml<DatasourceProvisioning>('grafana/provisioning/datasources/prometheus.yml');
    assert.equal(provisioning.datasources.length, 1);
    const [ds] = provisioning.datasources;
    assert.ok(ds);
    assert.deepEqual({ type: ds.type, uid: ds.uid }, PROMETHEUS_DATASOURCE);
    const refs: Array<[string, { type?: string; uid?: string } | undefined]> = [];
    for (const d of committed) {
      for (const p of allPanels(d).filter((panel) => panel.type !== 'row')) {
        refs.push([`${d.title} / ${p.title}`, p.datasource]);
        for (const t of p.targets ?? []) refs.push([`${d.title} / ${p.title} [${t.refId}]`, t.datasource]);
      }
      for (const a of d.annotations?.list ?? []) refs.push([`${d.title} / annotation ${a.name}`, a.datasource]);
    }
    for (const [where, ref] of refs) assert.deepEqual(ref, { type: ds.type, uid: ds.uid }, `${where}: datasource`);
  });

  it('parses every query as PromQL', () => {
    const queries = committed.flatMap(allQueries);
    assert.ok(queries.length > 30, `only ${queries.length} queries found`);
    assert.deepEqual(promqlErrors(queries), []);
  });

  it('reports a query that does not parse with its dashboard and panel title', () => {
    const broken: DashboardJson = {
      uid: 'broken',
      title: 'Broken',
      panels: [{ type: 'timeseries', title: 'Bad panel', targets: [{ refId: 'A', expr: 'sum(rate(x[10s]) by (' }] }],
    };
    const [error] = promqlErrors(allQueries(broken));
    assert.match(error ?? '', /^Broken \/ panel "Bad panel" \[A\]: position \d+/);
  });

  it('reads only recorded series, and uses every recording rule', () => {
    const records = new Set(recordingRules().map((r) => r.record));
    const used = new Set<string>();
    const unknown: string[] = [];
    for (const q of committed.flatMap(allQueries)) {
      for (const metric of parsePromql(q.expr).metrics) {
        used.add(metric);
        if (!records.has(metric))
          unknown.push(`${q.dashboard} / ${q.where} [${q.refId}]: ${metric} is not a recording rule in prometheus/rules/recording.yml`);
      }
    }
    assert.deepEqual(unknown, []);
    const unused = [...records].filter((r) => !used.has(r));
    assert.deepEqual(unused, [], 'recording rules no dashboard reads');
  });

  it('puts loop delay, the live stall and both P99s on one home panel, with fault toggles as annotations', () => {
    const home = committed.find((d) => d.uid === HOME_DASHBOARD_UID);
    assert.ok(home);
    const needed = [
      'job:runtime_eventloop_delay_max_seconds:max',
      'job:runtime_eventloop_delay_seconds:p99_rate10s',
      'job:runtime_eventloop_stall_seconds:max',
      'job_route:runtime_http_request_duration_seconds:p99_rate10s',
      'scenario_stream_kind:lab_runner_request_duration_seconds:p99_rate10s',
    ];
    const headline = allPanels(home).find((p) => {
      const metrics = (p.targets ?? []).flatMap((t) => parsePromql(t.expr ?? '').metrics);
      return needed.every((m) => metrics.includes(m));
    });
    assert.ok(headline, `no home panel shows all of ${needed.join(', ')}`);
    assert.equal(headline.gridPos?.w, 24, 'the headline panel spans the full width');
    const annotationMetrics = (home.annotations?.list ?? []).flatMap((a) => parsePromql(a.expr ?? '').metrics);
    assert.ok(annotationMetrics.includes('fault_kind:lab_fault_active:max'), 'fault toggles annotate the home dashboard');
  });
});

describe('grafana provisioning', () => {
  it('provisions the datasource with a fixed uid and timeInterval equal to the scrape interval', () => {
    const { datasources, apiVersion } = readYaml<DatasourceProvisioning>('grafana/provisioning/datasources/prometheus.yml');
    assert.equal(apiVersion, 1);
    const [ds] = datasources;
    assert.ok(ds?.isDefault, 'the lab datasource is the default');
    const scrapeInterval = prometheusConfig().global.scrape_interval;
    assert.ok(ds.jsonData?.timeInterval, 'jsonData.timeInterval is set');
    assert.equal(durationMs(ds.jsonData.timeInterval), durationMs(scrapeInterval), 'timeInterval = Prometheus scrape_interval');
  });

  it('provisions the dashboards from one folder, without UI updates', () => {
    const { providers, apiVersion } = readYaml<DashboardProvisioning>('grafana/provisioning/dashboards/runtime-lab.yml');
    assert.equal(apiVersion, 1);
    assert.equal(providers.length, 1);
    const [provider] = providers;
    assert.ok(provider);
    assert.equal(provider.type, 'file');
    assert.equal(provider.allowUiUpdates, false);
    assert.ok(provider.folder && provider.folder.length > 0, 'one named folder');
  });
});
