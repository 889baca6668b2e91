// Who may reach the services (docs/kubernetes.md, "The admin API and the NetworkPolicy").
//
// The admin API (/admin*, fault toggles) shares the app port with the routes every client
// uses, and a NetworkPolicy sees peers and ports, never HTTP paths: no policy can admit
// /api/ping on port 8080 and refuse /admin there. So the two layers split the work:
// - the app: without LAB_ADMIN_TOKEN, /admin* answers loopback clients only (in a pod: the pod
//   itself, kubectl exec, kubectl port-forward), so the admin API is off the cluster network;
//   with the token (the Secret), a bearer token is required;
// - these policies: only pods labelled as lab clients reach the app ports at all, only the
//   monitoring namespace and lab clients reach the watchdog ports, and only the api (and lab
//   clients) reach downstream. A leaked token is useless from any other pod.
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { CLIENT_LABEL, labelsFor, NAMESPACE, SERVICES, selectorFor } from './config.js';

/** Namespace of the Prometheus that scrapes the watchdog ports. */
export const MONITORING_NAMESPACE = 'monitoring';

const clients = { podSelector: { matchLabels: { [CLIENT_LABEL.key]: CLIENT_LABEL.value } } };
const monitoring = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': MONITORING_NAMESPACE } } };

export function networkPolicies(): NetworkPolicy[] {
  const { api, downstream } = SERVICES;
  return [
    new NetworkPolicy({
      metadata: { name: api.name, namespace: NAMESPACE, labels: labelsFor(`${api.name}-network`, 'network') },
      spec: {
        podSelector: { matchLabels: selectorFor(api.name) },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [clients], ports: [{ protocol: 'TCP', port: 'http' }] },
          { from: [clients, monitoring], ports: [{ protocol: 'TCP', port: 'metrics' }] },
        ],
      },
    }),
    new NetworkPolicy({
      metadata: { name: downstream.name, namespace: NAMESPACE, labels: labelsFor(`${downstream.name}-network`, 'network') },
      spec: {
        podSelector: { matchLabels: selectorFor(downstream.name) },
        policyTypes: ['Ingress'],
        ingress: [
          { from: [{ podSelector: { matchLabels: selectorFor(api.name) } }, clients], ports: [{ protocol: 'TCP', port: 'http' }] },
          { from: [clients, monitoring], ports: [{ protocol: 'TCP', port: 'metrics' }] },
        ],
      },
    }),
  ];
}
