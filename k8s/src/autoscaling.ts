// Autoscaling the api on what its runtime feels, per pod (docs/kubernetes.md, "Autoscaling"):
// KEDA scales on in-flight requests per pod and on event-loop utilization per pod; an
// autoscaling/v2 HPA on CPU is emitted beside it as the comparison most clusters start with.
//
// Per pod, not the sum: each trigger's query is an average over the api pods (sum divided by
// the number of pods reporting), with metricType Value, so the HPA computes
// desired = ceil(current replicas x per-pod value / target), the usual utilization rule. A raw
// sum under metricType Value would multiply by the replica count twice and run away; a raw
// sum is only right with AverageValue, where the HPA does the division itself.
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { METRIC_EVENTLOOP_UTILIZATION_RATIO, METRIC_HTTP_REQUESTS_INFLIGHT } from '@runtime-lab/metric-names';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { labelsFor, NAMESPACE, PROMETHEUS_URL, SERVICES } from './config.js';

export const MIN_REPLICAS = 1;
export const MAX_REPLICAS = 6;

/**
 * In-flight requests per pod the api should carry. By Little's law in-flight = arrival rate x
 * time in the service; a healthy api answers /api/* in a few ms, so even hundreds of requests
 * per second keep it near 1. 4 is what the lab's pressure streams of 4-8 connections reach
 * when every request waits (docs/kubernetes.md, the scenario table).
 */
export const INFLIGHT_PER_POD_TARGET = 4;

/**
 * Event-loop utilization per pod. 0.7: in the ramp scenario ELU settles at 0.75-0.8 well
 * before saturation and passes 0.7 seconds before the probe's P99 breaks its SLO
 * (scenarios/src/catalogue/ramp.scenario.ts), below the ELU alert's 0.8 (prometheus/thresholds.yml).
 */
export const ELU_PER_POD_TARGET = 0.7;

/** CPU utilization (of the request) the comparison HPA aims for: the common default. */
export const CPU_UTILIZATION_TARGET_PERCENT = 70;

const apiSelector = `namespace="${NAMESPACE}",job="${SERVICES.api.name}"`;

/** A gauge's mean over the lab's api pods: the sum over them divided by how many report it. */
function perPodMean(metric: string): string {
  return `sum(${metric}{${apiSelector}}) / count(${metric}{${apiSelector}})`;
}

/** Mean in-flight requests per api pod: sum over pods / number of pods reporting. */
export const INFLIGHT_PER_POD_QUERY = perPodMean(METRIC_HTTP_REQUESTS_INFLIGHT);

/**
 * Mean event-loop utilization per api pod. Served from the watchdog's registry snapshot: during a
 * stall longer than the snapshot interval it holds its last value until the loop turns again.
 */
export const ELU_PER_POD_QUERY = perPodMean(METRIC_EVENTLOOP_UTILIZATION_RATIO);

export function apiScaledObject(): ScaledObject {
  const api = SERVICES.api.name;
  return new ScaledObject({
    metadata: { name: api, namespace: NAMESPACE, labels: labelsFor(`${api}-autoscaling`, 'autoscaling') },
    spec: {
      scaleTargetRef: { name: api },
      minReplicaCount: MIN_REPLICAS,
      maxReplicaCount: MAX_REPLICAS,
      pollingInterval: 5,
      cooldownPeriod: 60,
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
        },
      },
      // KEDA allows one ScaledObject per workload: both signals are triggers of this one, and
      // the HPA it creates takes the larger of their proposals.
      triggers: [
        {
          type: 'prometheus',
          name: 'inflight-per-pod',
          metricType: 'Value',
          metadata: { serverAddress: PROMETHEUS_URL, query: INFLIGHT_PER_POD_QUERY, threshold: String(INFLIGHT_PER_POD_TARGET) },
        },
        {
          type: 'prometheus',
          name: 'elu-per-pod',
          metricType: 'Value',
          metadata: { serverAddress: PROMETHEUS_URL, query: ELU_PER_POD_QUERY, threshold: String(ELU_PER_POD_TARGET) },
        },
      ],
    },
  });
}

/** The usual HPA on CPU, for comparison only: never apply it together with the ScaledObject. */
export function apiCpuHpa(): HorizontalPodAutoscaler {
  const api = SERVICES.api.name;
  return new HorizontalPodAutoscaler({
    metadata: { name: `${api}-cpu`, namespace: NAMESPACE, labels: labelsFor(`${api}-autoscaling`, 'autoscaling') },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: api },
      minReplicas: MIN_REPLICAS,
      maxReplicas: MAX_REPLICAS,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: CPU_UTILIZATION_TARGET_PERCENT } },
        },
      ],
    },
  });
}
