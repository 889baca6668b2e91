export { main } from './main.js';
export { prometheusAvailable, startPrometheus, waitForPrometheus, writeNativePrometheusConfig } from './prometheus.js';
export { DEFAULT_PORTS, isHealthy, startServices, stopServices, urlsFor, type ServicePorts, type StartedService } from './services.js';
