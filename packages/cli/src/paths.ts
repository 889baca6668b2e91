// Where things live relative to the repository root (this file is packages/cli/dist/src/paths.js).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** Runtime state of `lab up`: pid files, logs, derived Prometheus config and data. Git-ignored. */
export const LAB_DIR = process.env.LAB_STATE_DIR ?? join(REPO_ROOT, '.lab');
export const REPORTS_DIR = join(REPO_ROOT, 'reports');
export const API_ENTRY = join(REPO_ROOT, 'services/api/dist/src/main.js');
export const DOWNSTREAM_ENTRY = join(REPO_ROOT, 'services/downstream/dist/src/main.js');
export const PROMETHEUS_CONFIG = join(REPO_ROOT, 'prometheus/prometheus.yml');
/** The lab's alert rules (generated from prometheus/thresholds.yml): what `lab run` evaluates by default. */
export const LAB_ALERT_RULES = join(REPO_ROOT, 'prometheus/rules/alerts.yml');
