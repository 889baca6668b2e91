// The api and downstream Deployments and Services, and the scenario runner as a Job.
//
// Probes (docs/kubernetes.md, "Probes"):
// - liveness: GET /livez on the watchdog port. The watchdog thread answers while the main loop
//   is stalled, and /livez turns 503 only once the loop has not turned for LIVENESS_MAX_STALL_MS:
//   a busy loop is left alone, a stuck one is restarted. /healthz and /metrics on the same port
//   answer during any stall, so they must never be the liveness probe.
// - readiness: GET /health on the app port, answered by the main loop itself: a pod whose loop
//   cannot answer within timeoutSeconds is taken out of the Service until it can; during shutdown
//   the server stops accepting, so readiness fails as soon as SIGTERM arrives (preStop first
//   gives the endpoints controller time to stop routing to the pod).
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import type { IContainer, IEnvVar, IProbe } from 'kubernetes-models/v1';
import { Service } from 'kubernetes-models/v1';
import { ADMIN_SECRET, CLIENT_LABEL, imageFor, labelsFor, NAMESPACE, RUNNER, SERVICES, type ServiceSpec, selectorFor } from './config.js';

/** Liveness fails once the loop has been stalled this long (LIVENESS_MAX_STALL_MS). */
export const LIVENESS_MAX_STALL_MS = 10_000;

export const LIVENESS_PROBE = { path: '/livez', port: 'metrics', periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 3 } as const;
export const READINESS_PROBE = { path: '/health', port: 'http', periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 2 } as const;

/** preStop pause before SIGTERM, so the pod leaves the Service's endpoints before it stops accepting. */
export const PRE_STOP_SECONDS = 5;
/** The services' own exit deadline after SIGTERM (SHUTDOWN_DEADLINE_MS), in seconds. */
export const SHUTDOWN_DEADLINE_SECONDS = 4.5;

function httpProbe(p: { path: string; port: string; periodSeconds: number; timeoutSeconds: number; failureThreshold: number }): IProbe {
  return {
    httpGet: { path: p.path, port: p.port },
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
  };
}

const adminTokenEnv: IEnvVar = {
  name: 'LAB_ADMIN_TOKEN',
  // Optional: without the Secret the admin API stays loopback-only (kubectl port-forward still works).
  valueFrom: { secretKeyRef: { name: ADMIN_SECRET.name, key: ADMIN_SECRET.key, optional: true } },
};

const restricted: IContainer['securityContext'] = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  runAsNonRoot: true,
  // The images' `node` user (Dockerfile: USER node).
  runAsUser: 1000,
  seccompProfile: { type: 'RuntimeDefault' },
};

function serviceEnv(spec: ServiceSpec): IEnvVar[] {
  const env: IEnvVar[] = [
    { name: 'HOST', value: '0.0.0.0' },
    { name: 'PORT', value: String(spec.port) },
    { name: 'METRICS_HOST', value: '0.0.0.0' },
    { name: 'METRICS_PORT', value: String(spec.metricsPort) },
    { name: 'LIVENESS_MAX_STALL_MS', value: String(LIVENESS_MAX_STALL_MS) },
  ];
  if (spec.name === 'api') env.push({ name: 'DOWNSTREAM_URL', value: `http://${SERVICES.downstream.name}:${SERVICES.downstream.port}` });
  env.push(adminTokenEnv);
  return env;
}

export function deployment(spec: ServiceSpec): Deployment {
  const labels = { ...labelsFor(spec.name, 'service') };
  return new Deployment({
    metadata: { name: spec.name, namespace: NAMESPACE, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: selectorFor(spec.name) },
      template: {
        metadata: { labels },
        spec: {
          // preStop + the services' own exit deadline, with a margin.
          terminationGracePeriodSeconds: Math.ceil(PRE_STOP_SECONDS + SHUTDOWN_DEADLINE_SECONDS) + 5,
          containers: [
            {
              name: spec.name,
              image: imageFor(spec.target),
              imagePullPolicy: 'IfNotPresent',
              ports: [
                { name: 'http', containerPort: spec.port },
                { name: 'metrics', containerPort: spec.metricsPort },
              ],
              env: serviceEnv(spec),
              // No CPU limit on purpose: CFS throttling stalls the event loop in slices of the
              // quota period, a fault of its own that would muddy every scenario.
              resources: {
                requests: { cpu: spec.resources.cpuRequest, memory: spec.resources.memoryRequest },
                limits: { memory: spec.resources.memoryLimit },
              },
              livenessProbe: httpProbe(LIVENESS_PROBE),
              readinessProbe: httpProbe(READINESS_PROBE),
              lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SECONDS } } },
              securityContext: restricted,
            },
          ],
        },
      },
    },
  });
}

export function service(spec: ServiceSpec): Service {
  return new Service({
    metadata: { name: spec.name, namespace: NAMESPACE, labels: labelsFor(spec.name, 'service') },
    spec: {
      selector: selectorFor(spec.name),
      ports: [
        { name: 'http', port: spec.port, targetPort: 'http' },
        // The runner samples the watchdog port through the Service (one replica during a run).
        { name: 'metrics', port: spec.metricsPort, targetPort: 'metrics' },
      ],
    },
  });
}

/**
 * `lab run <scenario>` against the api Service. Faults are per pod: run it with one api replica
 * (docs/kubernetes.md). It toggles faults with LAB_ADMIN_TOKEN from the Secret; without the
 * Secret the api refuses (403, the admin API is loopback-only) and the Job fails with exit 2.
 */
export function runnerJob(scenario: string = RUNNER.scenario): Job {
  const labels = { ...labelsFor(RUNNER.name, 'runner'), [CLIENT_LABEL.key]: CLIENT_LABEL.value };
  const api = SERVICES.api;
  return new Job({
    metadata: { name: `${RUNNER.name}-${scenario}`, namespace: NAMESPACE, labels },
    spec: {
      backoffLimit: 0,
      // Every run is bounded by its scenario; this is the backstop.
      activeDeadlineSeconds: 600,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'lab',
              image: imageFor(RUNNER.target),
              imagePullPolicy: 'IfNotPresent',
              args: ['run', scenario, '--no-start', '--out', `/app/reports/${scenario}`],
              env: [
                { name: 'LAB_API_URL', value: `http://${api.name}:${api.port}` },
                { name: 'LAB_API_METRICS_URL', value: `http://${api.name}:${api.metricsPort}/metrics` },
                { name: 'LAB_RUNNER_METRICS_PORT', value: String(RUNNER.metricsPort) },
                { name: 'LAB_RUNNER_METRICS_HOST', value: '0.0.0.0' },
                adminTokenEnv,
              ],
              ports: [{ name: 'metrics', containerPort: RUNNER.metricsPort }],
              resources: { requests: { cpu: '500m', memory: '192Mi' }, limits: { memory: '384Mi' } },
              volumeMounts: [{ name: 'reports', mountPath: '/app/reports' }],
              securityContext: restricted,
            },
          ],
          volumes: [{ name: 'reports', emptyDir: {} }],
        },
      },
    },
  });
}

export function workloads(): { api: [Deployment, Service]; downstream: [Deployment, Service] } {
  return {
    api: [deployment(SERVICES.api), service(SERVICES.api)],
    downstream: [deployment(SERVICES.downstream), service(SERVICES.downstream)],
  };
}
