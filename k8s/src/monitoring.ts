// What the Prometheus Operator and Grafana's sidecars pick up: PodMonitors for the watchdog
// ports, one PrometheusRule holding the recording rules (prometheus/rules/recording.yml, which
// the dashboards read) and the alerts generated from prometheus/thresholds.yml by the same
// generator as prometheus/rules/alerts.yml, the dashboards as ConfigMaps for the dashboard
// sidecar and the datasource they name for the datasource sidecar.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALERT_GROUP, alertRules, loadThresholds } from '@runtime-lab/audit';
import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { ConfigMap } from 'kubernetes-models/v1';
import { parse, stringify } from 'yaml';
import { JOB_LABEL, labelsFor, NAMESPACE, PROMETHEUS_RELEASE, PROMETHEUS_URL, RUNNER, SERVICES, selectorFor } from './config.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const RECORDING_RULES_FILE = join(REPO_ROOT, 'prometheus/rules/recording.yml');
export const DASHBOARDS_DIR = join(REPO_ROOT, 'grafana/dashboards');

/**
 * Every 2 s, as in prometheus/prometheus.yml: the rules' 10 s windows need five samples, and a
 * stall of a few seconds must show. kube-prometheus-stack's default (30 s) would hide both.
 */
export const SCRAPE_INTERVAL = '2s';
export const SCRAPE_TIMEOUT = '1500ms';

/** Grafana datasource uid every generated dashboard points at (grafana/src/datasource.ts). */
export const DATASOURCE_UID = 'runtime-lab-prometheus';

const operatorLabels = (name: string): Record<string, string> => ({ ...labelsFor(name, 'monitoring'), release: PROMETHEUS_RELEASE });

function podMonitor(name: string, port: string): PodMonitor {
  return new PodMonitor({
    metadata: { name, namespace: NAMESPACE, labels: operatorLabels(name) },
    spec: {
      // job="api" etc., as in the compose Prometheus: the rules and dashboards group by job.
      jobLabel: JOB_LABEL,
      selector: { matchLabels: selectorFor(name) },
      podMetricsEndpoints: [{ port, path: '/metrics', interval: SCRAPE_INTERVAL, scrapeTimeout: SCRAPE_TIMEOUT }],
    },
  });
}

export function podMonitors(): PodMonitor[] {
  return [podMonitor(SERVICES.api.name, 'metrics'), podMonitor(SERVICES.downstream.name, 'metrics'), podMonitor(RUNNER.name, 'metrics')];
}

interface RuleGroupFile {
  groups: Array<{ name: string; rules: Array<Record<string, unknown>> }>;
}

/** Recording rules from prometheus/rules/recording.yml, alerts from prometheus/thresholds.yml. */
export function prometheusRule(): PrometheusRule {
  const recording = parse(readFileSync(RECORDING_RULES_FILE, 'utf8')) as RuleGroupFile;
  const alerts = alertRules(loadThresholds());
  return new PrometheusRule({
    metadata: { name: 'runtime-lab', namespace: NAMESPACE, labels: operatorLabels('runtime-lab-rules') },
    spec: {
      groups: [
        ...recording.groups.map((g) => ({ name: g.name, rules: g.rules as Array<{ record: string; expr: string }> })),
        { name: ALERT_GROUP, rules: alerts },
      ],
    },
  });
}

/** One ConfigMap per grafana/dashboards/*.json, labelled for Grafana's dashboard sidecar. */
export function dashboardConfigMaps(dir: string = DASHBOARDS_DIR): ConfigMap[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map(
      (file) =>
        new ConfigMap({
          metadata: {
            name: `runtime-lab-dashboard-${file.replace(/\.json$/, '')}`,
            namespace: NAMESPACE,
            labels: { ...labelsFor('runtime-lab-dashboards', 'monitoring'), grafana_dashboard: '1' },
            // kube-prometheus-stack's sidecar files dashboards into the folder this names.
            annotations: { grafana_folder: 'runtime-lab' },
          },
          data: { [file]: readFileSync(join(dir, file), 'utf8') },
        }),
    );
}

/** The datasource the dashboards name, for Grafana's datasource sidecar (label grafana_datasource). */
export function datasourceConfigMap(): ConfigMap {
  const datasources = {
    apiVersion: 1,
    datasources: [
      {
        name: 'runtime-lab Prometheus',
        uid: DATASOURCE_UID,
        type: 'prometheus',
        access: 'proxy',
        url: PROMETHEUS_URL,
        jsonData: { timeInterval: SCRAPE_INTERVAL },
      },
    ],
  };
  return new ConfigMap({
    metadata: {
      name: 'runtime-lab-datasource',
      namespace: NAMESPACE,
      labels: { ...labelsFor('runtime-lab-datasource', 'monitoring'), grafana_datasource: '1' },
    },
    data: { 'runtime-lab-datasource.yaml': stringify(datasources) },
  });
}
