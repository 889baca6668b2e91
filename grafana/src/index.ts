// runtime-lab's Grafana dashboards, written with @grafana/grafana-foundation-sdk (pinned: a
// preview SDK) and emitted as classic dashboard JSON, the format Grafana's file provisioning reads.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import * as executorsAndQueues from './dashboards/executors-and-queues.js';
import * as runtimeVsRequests from './dashboards/runtime-vs-requests.js';
import * as scenarioRuns from './dashboards/scenario-runs.js';

export { DASHBOARD_TAG, PROMETHEUS_DATASOURCE, SCRAPE_INTERVAL } from './datasource.js';

export interface GeneratedDashboard {
  uid: string;
  /** File name inside grafana/dashboards/. */
  fileName: string;
  dashboard: Dashboard;
}

/** The dashboard Grafana opens first (GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH in compose). */
export const HOME_DASHBOARD_UID = runtimeVsRequests.uid;

/** grafana/dashboards/, resolved from this module (dist/src/index.js) so it works from any cwd. */
export const DASHBOARDS_DIR = fileURLToPath(new URL('../../dashboards/', import.meta.url));

export function generateDashboards(): GeneratedDashboard[] {
  return [runtimeVsRequests, executorsAndQueues, scenarioRuns].map((module) => ({
    uid: module.uid,
    fileName: `${module.uid}.json`,
    dashboard: module.build(),
  }));
}

/** The exact bytes committed for a dashboard: stable key order from the SDK, 2-space indent, final newline. */
export function renderDashboard(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

export interface StaleFile {
  fileName: string;
  reason: 'missing' | 'differs' | 'not generated';
}

/** Files in `dir` that do not match what the code generates now (empty when up to date). */
export function findStaleDashboards(dir: string = DASHBOARDS_DIR): StaleFile[] {
  const stale: StaleFile[] = [];
  const generated = generateDashboards();
  for (const { fileName, dashboard } of generated) {
    const path = join(dir, fileName);
    if (!existsSync(path)) stale.push({ fileName, reason: 'missing' });
    else if (readFileSync(path, 'utf8') !== renderDashboard(dashboard)) stale.push({ fileName, reason: 'differs' });
  }
  // A leftover JSON file would still be provisioned by Grafana, with nothing generating it.
  const expected = new Set(generated.map((d) => d.fileName));
  if (existsSync(dir)) {
    for (const name of readdirSync(dir)) {
      if (name.endsWith('.json') && !expected.has(name)) stale.push({ fileName: name, reason: 'not generated' });
    }
  }
  return stale;
}
