// Where work waits when the event loop does not: the piscina pool, the libuv threadpool, and the
// checkout queue in front of the downstream service.
import {
  METRIC_LAB_CHECKOUT_BACKLOG,
  METRIC_LAB_CHECKOUT_DOWNSTREAM_CALLS,
  METRIC_LAB_DOWNSTREAM_INFLIGHT,
  METRIC_LAB_DOWNSTREAM_WAITING,
  METRIC_POOL_QUEUE_SIZE,
  METRIC_POOL_RUN_SECONDS,
  METRIC_POOL_THREADS,
  METRIC_POOL_UTILIZATION_RATIO,
  METRIC_POOL_WAIT_SECONDS,
  METRIC_THREADPOOL_CANARY_PENDING_SECONDS,
  METRIC_THREADPOOL_CANARY_SECONDS,
  METRIC_THREADPOOL_INFLIGHT,
} from '@runtime-lab/metric-names';
import { buildDashboard } from '../layout.js';
import { timeseries } from '../panels.js';

export const uid = 'executors-and-queues';

export function build() {
  return buildDashboard({
    uid,
    title: 'Executors & queues',
    description:
      'The queues behind the event loop: worker pool, libuv threadpool, checkout backlog and downstream calls. Each can make requests slow while loop delay stays calm.',
    rows: [
      {
        title: 'Worker pool (piscina)',
        panels: [
          timeseries({
            title: 'Pool queue and threads',
            description:
              'Tasks waiting for a worker thread, with the number of threads for scale. A queue that keeps growing while the threads stay fixed is a saturated pool: every queued task adds its wait to a request, while the event loop itself stays free (loop delay calm).',
            unit: 'short',
            width: 12,
            height: 8,
            min: 0,
            queries: [
              { expr: `job_pool:${METRIC_POOL_QUEUE_SIZE}:max`, legend: '{{pool}} queued' },
              { expr: `job_pool:${METRIC_POOL_THREADS}:max`, legend: '{{pool}} threads' },
            ],
          }),
          timeseries({
            title: 'Pool wait vs run time (P99)',
            description:
              'Run time is measured inside the worker; wait is from submit until a worker starts the task. Healthy: wait far below run. When wait overtakes run, tasks spend longer queued than working: more threads or shorter tasks help, a faster event loop does not.',
            unit: 's',
            width: 12,
            height: 8,
            logScale: true,
            queries: [
              { expr: `job_pool:${METRIC_POOL_WAIT_SECONDS}:p99_rate10s`, legend: '{{pool}} wait P99' },
              { expr: `job_pool:${METRIC_POOL_RUN_SECONDS}:p99_rate10s`, legend: '{{pool}} run P99' },
            ],
          }),
          timeseries({
            title: 'Pool utilization',
            description:
              "Busy time divided by threads times wall time over the last interval, computed by the lab (piscina 5's own utilization is off by a factor of about 1000). Near 100 % with a growing queue means saturated; near 100 % with an empty queue means exactly enough.",
            unit: 'percentunit',
            width: 12,
            height: 8,
            min: 0,
            max: 1,
            queries: [{ expr: `job_pool:${METRIC_POOL_UTILIZATION_RATIO}:max`, legend: '{{pool}}' }],
          }),
          timeseries({
            title: 'Pool tasks by outcome',
            description:
              'Tasks finished per second. rejected appears when a bounded pool queue is full: that mitigation trades fast errors for unbounded latency. error is a task that threw.',
            unit: 'ops',
            width: 12,
            height: 8,
            min: 0,
            queries: [{ expr: 'job_pool_outcome:runtime_pool_tasks:rate10s', legend: '{{pool}} {{outcome}}' }],
          }),
        ],
      },
      {
        title: 'libuv threadpool',
        panels: [
          timeseries({
            title: 'Threadpool canary',
            description:
              "A tiny fs operation issued on a schedule: its latency is the libuv threadpool's queueing delay, which Node has no API for. When crypto or zlib work fills the threadpool (4 threads by default), fs and dns.lookup wait behind it: the canary and the oldest pending canary climb while loop delay stays low. Its callback runs on the main loop, so a blocked loop makes it read high too, threadpool or not: read it together with loop delay (scenario reports count only the (1 − ELU) share of it as the threadpool's).",
            unit: 's',
            width: 12,
            height: 8,
            logScale: true,
            queries: [
              { expr: `job:${METRIC_THREADPOOL_CANARY_SECONDS}:p99_rate10s`, legend: 'canary P99 {{job}}' },
              { expr: `job:${METRIC_THREADPOOL_CANARY_PENDING_SECONDS}:max`, legend: 'oldest pending canary {{job}}' },
            ],
          }),
          timeseries({
            title: 'Threadpool work in flight',
            description:
              'Threadpool work the service submitted (through trackThreadpool) and that has not finished. Anything above the threadpool size (UV_THREADPOOL_SIZE, 4 by default) is queued, and every fs or dns call waits behind it.',
            unit: 'short',
            width: 12,
            height: 8,
            min: 0,
            queries: [{ expr: `job:${METRIC_THREADPOOL_INFLIGHT}:max`, legend: 'in flight {{job}}' }],
          }),
        ],
      },
      {
        title: 'Checkout and downstream',
        panels: [
          timeseries({
            title: 'Checkout backlog and downstream queue',
            description:
              "Downstream calls queued in the api's in-process queue, and requests waiting for / holding a concurrency slot at the downstream service. A backlog that only climbs is queue amplification: each queued call is work its client may already have given up on. A bounded queue with shedding keeps it flat.",
            unit: 'short',
            width: 12,
            height: 8,
            min: 0,
            queries: [
              { expr: `job:${METRIC_LAB_CHECKOUT_BACKLOG}:max`, legend: 'api backlog' },
              { expr: `job:${METRIC_LAB_DOWNSTREAM_WAITING}:max`, legend: 'downstream waiting' },
              { expr: `job:${METRIC_LAB_DOWNSTREAM_INFLIGHT}:max`, legend: 'downstream in service' },
            ],
          }),
          timeseries({
            title: 'Downstream calls per checkout',
            description:
              'Mean and P99 of downstream calls (retries included) made for one checkout. Healthy, it equals the fan-out: one call per downstream target. With timeouts and retries one checkout becomes many more calls, adding load exactly when the downstream is slowest; a retry budget keeps the mean near the fan-out.',
            unit: 'short',
            width: 12,
            height: 8,
            min: 0,
            queries: [
              { expr: `job:${METRIC_LAB_CHECKOUT_DOWNSTREAM_CALLS}:mean_rate10s`, legend: 'mean' },
              { expr: `job:${METRIC_LAB_CHECKOUT_DOWNSTREAM_CALLS}:p99_rate10s`, legend: 'P99' },
            ],
          }),
          timeseries({
            title: 'Downstream calls by outcome',
            description:
              'Calls from the api to downstream per second: ok, timeout, error, and dropped (deadline propagation skipped a call whose caller had already given up). Timeouts rising while ok stays flat means the downstream is saturated and retries are making it worse.',
            unit: 'reqps',
            width: 12,
            height: 8,
            min: 0,
            queries: [{ expr: 'job_outcome:lab_downstream_calls:rate10s', legend: '{{outcome}}' }],
          }),
          timeseries({
            title: 'Retries and shed checkouts',
            description:
              'Retries add load to a struggling dependency; shedding (503 with Retry-After from the bounded queue) removes it. With the mitigation on, shed checkouts rise and the backlog stays bounded: fast failures instead of slow ones.',
            unit: 'reqps',
            width: 12,
            height: 8,
            min: 0,
            queries: [
              { expr: 'job:lab_downstream_retries:rate10s', legend: 'retries' },
              { expr: 'job:lab_checkout_shed:rate10s', legend: 'shed checkouts (503)' },
            ],
          }),
        ],
      },
    ],
  });
}
