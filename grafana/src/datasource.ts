// The one datasource every panel and annotation points at. Its uid is fixed so the provisioned
// datasource (provisioning/datasources/prometheus.yml) and the generated JSON agree without a
// lookup by name; a test checks both sides.
export const PROMETHEUS_DATASOURCE = { type: 'prometheus', uid: 'runtime-lab-prometheus' } as const;

/** Prometheus's scrape interval, also the datasource's `timeInterval` (Grafana's minimum step). */
export const SCRAPE_INTERVAL = '2s';

/** Tag shared by the lab's dashboards: their links menu lists every dashboard carrying it. */
export const DASHBOARD_TAG = 'runtime-lab';
