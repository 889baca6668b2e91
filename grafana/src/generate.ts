// Writes the dashboards' JSON into grafana/dashboards/, or with --check only reports (exit 1)
// when the committed files differ from what the code generates.
// Usage: node grafana/dist/src/generate.js [--check]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARDS_DIR, findStaleDashboards, generateDashboards, renderDashboard } from './index.js';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--check');
if (unknown.length > 0) {
  console.error(`generate: unknown argument(s) ${unknown.join(' ')}; allowed: --check`);
  process.exit(2);
}

if (args.includes('--check')) {
  const stale = findStaleDashboards();
  if (stale.length > 0) {
    for (const s of stale) console.error(`grafana/dashboards/${s.fileName}: ${s.reason}`);
    console.error('Dashboard JSON is stale: run `pnpm --filter @runtime-lab/grafana generate` and commit the result.');
    process.exit(1);
  }
  console.log('grafana/dashboards is up to date.');
} else {
  mkdirSync(DASHBOARDS_DIR, { recursive: true });
  for (const s of findStaleDashboards()) {
    if (s.reason === 'not generated') rmSync(join(DASHBOARDS_DIR, s.fileName));
  }
  for (const { fileName, dashboard } of generateDashboards()) {
    writeFileSync(join(DASHBOARDS_DIR, fileName), renderDashboard(dashboard));
    console.log(`wrote grafana/dashboards/${fileName}`);
  }
}
