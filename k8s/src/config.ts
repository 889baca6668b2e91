// The few facts every manifest shares: namespace, names, labels, ports, images, and where the
// cluster's Prometheus is. Tests cross-check each against the code that gives it meaning (the
// services' environment, the Dockerfile's targets, the routes that exist).

export const NAMESPACE = 'runtime-lab';

/** Label kube-prometheus-stack's Prometheus selects PodMonitors and PrometheusRules by (its Helm release name). */
export const PROMETHEUS_RELEASE = 'kube-prometheus-stack';

/** The in-cluster Prometheus KEDA queries (kube-prometheus-stack installed as PROMETHEUS_RELEASE in namespace monitoring). */
export const PROMETHEUS_URL = `http://${PROMETHEUS_RELEASE}-prometheus.monitoring.svc:9090`;

/** Secret holding LAB_ADMIN_TOKEN under key `token`. Not generated: a user creates it (docs/kubernetes.md). */
export const ADMIN_SECRET = { name: 'runtime-lab-admin', key: 'token' } as const;

/** Pods carrying this label may reach the api's and downstream's app ports (the NetworkPolicy). */
export const CLIENT_LABEL = { key: 'runtime-lab/client', value: 'true' } as const;

export type ServiceName = 'api' | 'downstream';

export interface ServiceSpec {
  name: ServiceName;
  /** Dockerfile stage the image is built from (docker compose build tags it the same way). */
  target: string;
  /** PORT: the app (Fastify, main event loop). */
  port: number;
  /** METRICS_PORT: the telemetry watchdog thread (/metrics, /healthz, /livez). */
  metricsPort: number;
  resources: { cpuRequest: string; memoryRequest: string; memoryLimit: string };
}

// Ports are the services' own defaults (services/*/src/server.ts), so the manifests and a local
// run agree. Memory: the measured peaks behind docker-compose.yml's mem_limit.
export const SERVICES: Record<ServiceName, ServiceSpec> = {
  api: {
    name: 'api',
    target: 'api',
    port: 8080,
    metricsPort: 9464,
    resources: { cpuRequest: '500m', memoryRequest: '256Mi', memoryLimit: '640Mi' },
  },
  downstream: {
    name: 'downstream',
    target: 'downstream',
    port: 8081,
    metricsPort: 9465,
    resources: { cpuRequest: '100m', memoryRequest: '96Mi', memoryLimit: '192Mi' },
  },
};

// name is also the Prometheus job ("runner", as in prometheus/prometheus.yml; the scrape-gaps rule leaves it out).
export const RUNNER = { name: 'runner', target: 'lab', metricsPort: 9466, scenario: 'blocking' } as const;

/** The image docker-compose.yml builds for a Dockerfile target. */
export function imageFor(target: string): string {
  return `runtime-lab/${target}:local`;
}

/** app.kubernetes.io labels; `name` is also Prometheus's job label (PodMonitor jobLabel). */
export function labelsFor(name: string, component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'runtime-lab', 'app.kubernetes.io/component': component };
}

export function selectorFor(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name };
}

export const JOB_LABEL = 'app.kubernetes.io/name';
