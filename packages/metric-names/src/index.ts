// Every metric name runtime-lab exposes or reads, as code: the telemetry plugin, the services,
// the scenario runner, the auditor and the dashboards' generator import these constants, and a
// test checks the Prometheus rules and docs/metrics.md against them. Meanings, types and labels
// are in docs/metrics.md; this file is the spelling.

/** The telemetry plugin's default prefix (its `prefix` option replaces it). */
export const RUNTIME_PREFIX = 'runtime_';

/**
 * A runtime metric's name under another prefix: `withPrefix(METRIC_RUNTIME_POOL_THREADS, 'app_')`
 * is `'app_pool_threads'`. Throws for a name that is not one of the runtime_* names below.
 */
export function withPrefix(name: RuntimeMetricName, prefix: string): string {
  if (!name.startsWith(RUNTIME_PREFIX)) throw new TypeError(`${name} is not a ${RUNTIME_PREFIX}* metric name`);
  return prefix + name.slice(RUNTIME_PREFIX.length);
}

// The telemetry plugin (@runtime-lab/telemetry), under the default prefix.
export const METRIC_EVENTLOOP_DELAY_SECONDS = 'runtime_eventloop_delay_seconds';
export const METRIC_EVENTLOOP_DELAY_MAX_SECONDS = 'runtime_eventloop_delay_max_seconds';
export const METRIC_EVENTLOOP_UTILIZATION_RATIO = 'runtime_eventloop_utilization_ratio';
export const METRIC_EVENTLOOP_ACTIVE_SECONDS_TOTAL = 'runtime_eventloop_active_seconds_total';
export const METRIC_EVENTLOOP_STALL_SECONDS = 'runtime_eventloop_stall_seconds';
export const METRIC_EVENTLOOP_STALL_DURATION_SECONDS = 'runtime_eventloop_stall_duration_seconds';
// Stall attribution (option stallAttribution): stalls by the frame that held the loop.
export const METRIC_EVENTLOOP_ATTRIBUTED_STALLS_TOTAL = 'runtime_eventloop_attributed_stalls_total';
export const METRIC_EVENTLOOP_ATTRIBUTED_STALL_SECONDS_TOTAL = 'runtime_eventloop_attributed_stall_seconds_total';
export const METRIC_STALL_ATTRIBUTION_ENABLED = 'runtime_stall_attribution_enabled';
export const METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS = 'runtime_watchdog_snapshot_age_seconds';
export const METRIC_WATCHDOG_UP = 'runtime_watchdog_up';
export const METRIC_THREADPOOL_CANARY_SECONDS = 'runtime_threadpool_canary_seconds';
export const METRIC_THREADPOOL_CANARY_PENDING_SECONDS = 'runtime_threadpool_canary_pending_seconds';
export const METRIC_THREADPOOL_INFLIGHT = 'runtime_threadpool_inflight';
export const METRIC_POOL_THREADS = 'runtime_pool_threads';
export const METRIC_POOL_QUEUE_SIZE = 'runtime_pool_queue_size';
export const METRIC_POOL_WAIT_SECONDS = 'runtime_pool_wait_seconds';
export const METRIC_POOL_RUN_SECONDS = 'runtime_pool_run_seconds';
export const METRIC_POOL_UTILIZATION_RATIO = 'runtime_pool_utilization_ratio';
export const METRIC_POOL_TASKS_TOTAL = 'runtime_pool_tasks_total';
export const METRIC_HTTP_REQUESTS_INFLIGHT = 'runtime_http_requests_inflight';
export const METRIC_HTTP_REQUEST_DURATION_SECONDS = 'runtime_http_request_duration_seconds';
export const METRIC_HTTP_QUEUE_TIME_SECONDS = 'runtime_http_queue_time_seconds';

/** The names the telemetry plugin registers itself (prom-client's default metrics aside). */
export const RUNTIME_METRIC_NAMES = [
  METRIC_EVENTLOOP_DELAY_SECONDS,
  METRIC_EVENTLOOP_DELAY_MAX_SECONDS,
  METRIC_EVENTLOOP_UTILIZATION_RATIO,
  METRIC_EVENTLOOP_ACTIVE_SECONDS_TOTAL,
  METRIC_EVENTLOOP_STALL_SECONDS,
  METRIC_EVENTLOOP_STALL_DURATION_SECONDS,
  METRIC_EVENTLOOP_ATTRIBUTED_STALLS_TOTAL,
  METRIC_EVENTLOOP_ATTRIBUTED_STALL_SECONDS_TOTAL,
  METRIC_STALL_ATTRIBUTION_ENABLED,
  METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS,
  METRIC_WATCHDOG_UP,
  METRIC_THREADPOOL_CANARY_SECONDS,
  METRIC_THREADPOOL_CANARY_PENDING_SECONDS,
  METRIC_THREADPOOL_INFLIGHT,
  METRIC_POOL_THREADS,
  METRIC_POOL_QUEUE_SIZE,
  METRIC_POOL_WAIT_SECONDS,
  METRIC_POOL_RUN_SECONDS,
  METRIC_POOL_UTILIZATION_RATIO,
  METRIC_POOL_TASKS_TOTAL,
  METRIC_HTTP_REQUESTS_INFLIGHT,
  METRIC_HTTP_REQUEST_DURATION_SECONDS,
  METRIC_HTTP_QUEUE_TIME_SECONDS,
] as const;
export type RuntimeMetricName = (typeof RUNTIME_METRIC_NAMES)[number];

// prom-client's default metrics the lab reads (kept under their usual names).
export const METRIC_NODEJS_EVENTLOOP_LAG_SECONDS = 'nodejs_eventloop_lag_seconds';
export const METRIC_NODEJS_EVENTLOOP_LAG_MAX_SECONDS = 'nodejs_eventloop_lag_max_seconds';
export const METRIC_NODEJS_EVENTLOOP_LAG_P99_SECONDS = 'nodejs_eventloop_lag_p99_seconds';
export const METRIC_NODEJS_ACTIVE_HANDLES_TOTAL = 'nodejs_active_handles_total';
export const METRIC_NODEJS_ACTIVE_REQUESTS_TOTAL = 'nodejs_active_requests_total';
export const METRIC_NODEJS_ACTIVE_RESOURCES_TOTAL = 'nodejs_active_resources_total';
export const METRIC_PROCESS_START_TIME_SECONDS = 'process_start_time_seconds';

// The lab services (services/api, services/downstream).
export const METRIC_LAB_FAULT_ACTIVE = 'lab_fault_active';
export const METRIC_LAB_FAULT_PARAMETER = 'lab_fault_parameter';
export const METRIC_LAB_FAULT_TRIGGER_REQUESTS_TOTAL = 'lab_fault_trigger_requests_total';
export const METRIC_LAB_CHECKOUT_BACKLOG = 'lab_checkout_backlog';
export const METRIC_LAB_CHECKOUT_SHED_TOTAL = 'lab_checkout_shed_total';
export const METRIC_LAB_CHECKOUT_DOWNSTREAM_CALLS = 'lab_checkout_downstream_calls';
export const METRIC_LAB_DOWNSTREAM_CALLS_TOTAL = 'lab_downstream_calls_total';
export const METRIC_LAB_DOWNSTREAM_RETRIES_TOTAL = 'lab_downstream_retries_total';
export const METRIC_LAB_DOWNSTREAM_INFLIGHT = 'lab_downstream_inflight';
export const METRIC_LAB_DOWNSTREAM_WAITING = 'lab_downstream_waiting';
export const METRIC_LAB_DOWNSTREAM_DROPPED_TOTAL = 'lab_downstream_dropped_total';

// The scenario runner (its own /metrics, port 9466).
export const METRIC_LAB_RUNNER_REQUEST_DURATION_SECONDS = 'lab_runner_request_duration_seconds';
export const METRIC_LAB_RUNNER_REQUESTS_TOTAL = 'lab_runner_requests_total';
export const METRIC_LAB_RUNNER_PHASE_INFO = 'lab_runner_phase_info';
export const METRIC_LAB_RUNNER_UP = 'lab_runner_up';
export const METRIC_LAB_RUNNER_LIVENESS_PROBES_TOTAL = 'lab_runner_liveness_probes_total';

/** The names the lab's own code registers (services and runner). */
export const LAB_METRIC_NAMES = [
  METRIC_LAB_FAULT_ACTIVE,
  METRIC_LAB_FAULT_PARAMETER,
  METRIC_LAB_FAULT_TRIGGER_REQUESTS_TOTAL,
  METRIC_LAB_CHECKOUT_BACKLOG,
  METRIC_LAB_CHECKOUT_SHED_TOTAL,
  METRIC_LAB_CHECKOUT_DOWNSTREAM_CALLS,
  METRIC_LAB_DOWNSTREAM_CALLS_TOTAL,
  METRIC_LAB_DOWNSTREAM_RETRIES_TOTAL,
  METRIC_LAB_DOWNSTREAM_INFLIGHT,
  METRIC_LAB_DOWNSTREAM_WAITING,
  METRIC_LAB_DOWNSTREAM_DROPPED_TOTAL,
  METRIC_LAB_RUNNER_REQUEST_DURATION_SECONDS,
  METRIC_LAB_RUNNER_REQUESTS_TOTAL,
  METRIC_LAB_RUNNER_PHASE_INFO,
  METRIC_LAB_RUNNER_UP,
  METRIC_LAB_RUNNER_LIVENESS_PROBES_TOTAL,
] as const;

/** prom-client default metrics the lab's rules, dashboards or auditor read. */
export const PROM_CLIENT_METRIC_NAMES = [
  METRIC_NODEJS_EVENTLOOP_LAG_SECONDS,
  METRIC_NODEJS_EVENTLOOP_LAG_MAX_SECONDS,
  METRIC_NODEJS_EVENTLOOP_LAG_P99_SECONDS,
  METRIC_NODEJS_ACTIVE_HANDLES_TOTAL,
  METRIC_NODEJS_ACTIVE_REQUESTS_TOTAL,
  METRIC_NODEJS_ACTIVE_RESOURCES_TOTAL,
  METRIC_PROCESS_START_TIME_SECONDS,
] as const;

/** Every name above. */
export const ALL_METRIC_NAMES: readonly string[] = [...RUNTIME_METRIC_NAMES, ...LAB_METRIC_NAMES, ...PROM_CLIENT_METRIC_NAMES];
