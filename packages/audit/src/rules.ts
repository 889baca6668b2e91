// The catalogue of what the auditor judges. Each rule has ONE value expression: the alert rules
// compare it with the thresholds (generated into prometheus/rules/alerts.yml), the --prometheus
// source evaluates the very same PromQL over the audit window, and the --metrics source computes
// the same quantity from direct scrapes (scrape-points.ts). Names follow docs/metrics.md.
import {
  METRIC_EVENTLOOP_ACTIVE_SECONDS_TOTAL,
  METRIC_EVENTLOOP_DELAY_MAX_SECONDS,
  METRIC_EVENTLOOP_STALL_SECONDS,
  METRIC_LAB_CHECKOUT_BACKLOG,
  METRIC_POOL_QUEUE_SIZE,
  METRIC_POOL_RUN_SECONDS,
  METRIC_POOL_THREADS,
  METRIC_THREADPOOL_CANARY_PENDING_SECONDS,
  METRIC_THREADPOOL_CANARY_SECONDS,
  METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS,
} from '@runtime-lab/metric-names';

export const RULE_IDS = [
  'event_loop_starvation',
  'elu_saturation',
  'executor_queue',
  'threadpool_starvation',
  'concurrency_saturation',
  'backlog_growth',
  'scrape_gaps',
  'stale_snapshot',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

/** How a rule's value reads; drives both the CLI's formatting and the alert annotations. */
export type Unit = 'seconds' | 'ratio' | 'tasks_per_worker' | 'calls';

export interface RuleDefinition {
  id: RuleId;
  /** Prometheus alert name; stable, other parts of the lab refer to it. */
  alert: string;
  title: string;
  /** What the value is, as a noun phrase for evidence lines and alert summaries. */
  measures: string;
  unit: Unit;
  /** Labels besides job and instance that split a target into several findings. */
  seriesLabels: readonly string[];
  /** The value expression; `selector` is a list of label matchers without braces ('' for none). */
  promql(selector: string, range: string): string;
  /** What the --metrics source reads, for the evidence line. */
  metrics: string;
  explanation: string;
  hint: string;
}

function select(metric: string, selector: string): string {
  return selector === '' ? metric : `${metric}{${selector}}`;
}

// Element-wise max of two vectors with the same grouping. PromQL has no binary max; this keeps
// A where A >= B, otherwise B, and still answers when only one side has data.
function larger(a: string, b: string): string {
  return `(${a} >= ${b}) or ${b} or ${a}`;
}

export const RULES: Record<RuleId, RuleDefinition> = {
  event_loop_starvation: {
    id: 'event_loop_starvation',
    alert: 'EventLoopStarvation',
    title: 'event-loop starvation',
    measures: 'worst event-loop delay',
    unit: 'seconds',
    seriesLabels: [],
    // The max gauge only learns of a stall after it ends; the watchdog's live stall gauge sees it
    // while it lasts. Taking the larger of the two catches both. Read at each step, without
    // max_over_time: the gauge already holds a stall for its 5 s window, so with `for:` longer
    // than that window one isolated hiccup (a busy machine descheduling the process) does not
    // count, while stalls that keep coming back, or one of a second or more, do.
    promql: (s) =>
      larger(
        `max by (job, instance) (${select(METRIC_EVENTLOOP_DELAY_MAX_SECONDS, s)})`,
        `max by (job, instance) (${select(METRIC_EVENTLOOP_STALL_SECONDS, s)})`,
      ),
    metrics: `max of ${METRIC_EVENTLOOP_DELAY_MAX_SECONDS} and ${METRIC_EVENTLOOP_STALL_SECONDS}`,
    explanation:
      'The main thread went this long without returning to the event loop: every request, timer and I/O callback waited behind it, however calm the server-side P99 looks.',
    hint: 'Find the synchronous work on the request path (CPU loops, *Sync calls, huge JSON, backtracking regex) with `node --cpu-prof`; offload it to a worker pool or split it with setImmediate.',
  },
  elu_saturation: {
    id: 'elu_saturation',
    alert: 'EventLoopUtilizationSaturated',
    title: 'event-loop utilization saturation',
    measures: 'event-loop utilization',
    unit: 'ratio',
    seriesLabels: [],
    promql: (s, r) => `max by (job, instance) (rate(${select(METRIC_EVENTLOOP_ACTIVE_SECONDS_TOTAL, s)}[${r}]))`,
    metrics: `increase of ${METRIC_EVENTLOOP_ACTIVE_SECONDS_TOTAL} per second`,
    explanation:
      'The loop was busy almost all the time, so any extra work queues behind it: latency climbs steeply before throughput stops growing.',
    hint: 'Move CPU work off the main thread or add instances; plot ELU against request rate to find the knee before users do.',
  },
  executor_queue: {
    id: 'executor_queue',
    alert: 'ExecutorQueueAmplification',
    title: 'executor queue amplification',
    measures: 'tasks waiting per worker thread',
    unit: 'tasks_per_worker',
    seriesLabels: ['pool'],
    promql: (s, r) =>
      `max by (job, instance, pool) (avg_over_time(${select(METRIC_POOL_QUEUE_SIZE, s)}[${r}]) / avg_over_time(${select(METRIC_POOL_THREADS, s)}[${r}]))`,
    metrics: `${METRIC_POOL_QUEUE_SIZE} / ${METRIC_POOL_THREADS}, averaged`,
    explanation:
      'Tasks reached the worker pool faster than it ran them: each one now waits for the whole queue ahead of it, multiplying its latency.',
    hint: 'Bound the queue (piscina maxQueue) and shed load with 503 + Retry-After, size the pool to the cores, or make the tasks shorter.',
  },
  threadpool_starvation: {
    id: 'threadpool_starvation',
    alert: 'ThreadpoolStarvation',
    title: 'threadpool starvation',
    measures: "threadpool canary mean wait beyond the loop's share",
    unit: 'seconds',
    seriesLabels: [],
    // The canary's callback runs on the main loop, so a loop stall delays it too. A completion
    // lands inside a stall with a probability of about the ELU and then waits at most the worst
    // stall, so ELU x worst delay bounds the loop's share: the whole stall when the loop is
    // blocked (ELU ~1), little when the loop is idle and only the machine hiccups (time the
    // process is descheduled while idle does not count as active). Subtracting the worst delay
    // alone would let one scheduler hiccup erase real threadpool starvation.
    // The mean (from _sum/_count) rather than p99: a quantile interpolated inside the coarse
    // buckets overshoots by up to a bucket width (a 0.6 s wait reads ~1 s). The pending gauge
    // covers a pool so starved that no canary finishes; read per step, not max_over_time, so one
    // canary stuck for a moment is not held over the whole range (`for:` filters it).
    promql: (s, r) => {
      const mean = `sum by (job, instance) (rate(${select(`${METRIC_THREADPOOL_CANARY_SECONDS}_sum`, s)}[${r}])) / sum by (job, instance) (rate(${select(`${METRIC_THREADPOOL_CANARY_SECONDS}_count`, s)}[${r}]))`;
      const canary = larger(`(${mean})`, `max by (job, instance) (${select(METRIC_THREADPOOL_CANARY_PENDING_SECONDS, s)})`);
      const loopShare =
        `max by (job, instance) (max_over_time(${select(METRIC_EVENTLOOP_DELAY_MAX_SECONDS, s)}[${r}]))` +
        ` * max by (job, instance) (rate(${select(METRIC_EVENTLOOP_ACTIVE_SECONDS_TOTAL, s)}[${r}]))`;
      return `clamp_min((${canary}) - (${loopShare}), 0) or (${canary})`;
    },
    metrics: `max of mean ${METRIC_THREADPOOL_CANARY_SECONDS} and ${METRIC_THREADPOOL_CANARY_PENDING_SECONDS}, minus max ${METRIC_EVENTLOOP_DELAY_MAX_SECONDS} x ELU`,
    explanation:
      'A tiny fs operation waited this long for a libuv threadpool thread: fs, dns.lookup, crypto and zlib all queue behind the same few threads.',
    hint: 'Cap concurrent crypto/zlib calls or move them to a worker pool; raise UV_THREADPOOL_SIZE only when the queued work is really I/O.',
  },
  concurrency_saturation: {
    id: 'concurrency_saturation',
    alert: 'ConcurrencySaturation',
    title: 'concurrency saturation',
    measures: "pool occupancy by Little's law (task rate x mean run time / threads)",
    unit: 'ratio',
    seriesLabels: ['pool'],
    // Little's law: busy workers L = arrival rate x mean run time, and rate() of the histogram's
    // _sum is exactly that product (seconds of work finished per second).
    promql: (s, r) =>
      `max by (job, instance, pool) (rate(${select(`${METRIC_POOL_RUN_SECONDS}_sum`, s)}[${r}]) / avg_over_time(${select(METRIC_POOL_THREADS, s)}[${r}]))`,
    metrics: `increase of ${METRIC_POOL_RUN_SECONDS}_sum per second / ${METRIC_POOL_THREADS}`,
    explanation:
      "By Little's law the pool needed this share of its threads just to keep up: near 100% every thread is always busy and any burst queues.",
    hint: 'Add threads (up to the cores), make tasks cheaper, or admit less work (bounded queue, load shedding).',
  },
  backlog_growth: {
    id: 'backlog_growth',
    alert: 'BacklogGrowth',
    title: 'backlog growth',
    measures: 'downstream calls queued in the checkout backlog',
    unit: 'calls',
    seriesLabels: [],
    promql: (s, r) => `max by (job, instance) (max_over_time(${select(METRIC_LAB_CHECKOUT_BACKLOG, s)}[${r}]))`,
    metrics: METRIC_LAB_CHECKOUT_BACKLOG,
    explanation:
      'Checkouts queued downstream calls faster than downstream finished them: every queued call adds waiting, and timeouts plus retries add more calls.',
    hint: 'Bound the queue and shed (503 + Retry-After), give retries a budget, and propagate deadlines so work whose caller gave up is dropped.',
  },
  scrape_gaps: {
    id: 'scrape_gaps',
    alert: 'ScrapeGaps',
    title: 'scrape gaps',
    measures: 'share of failed scrapes',
    unit: 'ratio',
    seriesLabels: [],
    promql: (s, r) => `max by (job, instance) (1 - avg_over_time(${select('up', s)}[${r}]))`,
    metrics: 'failed or timed-out scrapes of the endpoint',
    explanation: 'Scrapes of the target failed: during those gaps dashboards and alerts are blind, which is exactly when a stall happens.',
    hint: 'Scrape the watchdog port (it answers during stalls), check that the target is up and that the scrape timeout fits.',
  },
  stale_snapshot: {
    id: 'stale_snapshot',
    alert: 'StaleSnapshot',
    title: 'stale snapshot',
    measures: "age of the watchdog's registry snapshot",
    unit: 'seconds',
    seriesLabels: [],
    promql: (s, r) => `max by (job, instance) (max_over_time(${select(METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS, s)}[${r}]))`,
    metrics: METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS,
    explanation:
      'The watchdog served a registry snapshot this old: the main thread had not refreshed it, so every other value from this target lags reality by that much.',
    hint: `The main thread is stalled or gone: read ${METRIC_EVENTLOOP_STALL_SECONDS} and the process logs.`,
  },
};

/**
 * The metric families the rules read (histograms under their family name): an endpoint that
 * serves none of them is not a service the auditor can judge.
 */
export const RULE_METRICS = [
  METRIC_EVENTLOOP_DELAY_MAX_SECONDS,
  METRIC_EVENTLOOP_STALL_SECONDS,
  METRIC_EVENTLOOP_ACTIVE_SECONDS_TOTAL,
  METRIC_THREADPOOL_CANARY_SECONDS,
  METRIC_THREADPOOL_CANARY_PENDING_SECONDS,
  METRIC_POOL_QUEUE_SIZE,
  METRIC_POOL_THREADS,
  METRIC_POOL_RUN_SECONDS,
  METRIC_LAB_CHECKOUT_BACKLOG,
  METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS,
];
