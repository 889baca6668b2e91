// What the target's metrics endpoint can tell the runner, decided once before the run from one
// scrape: the lab's telemetry plugin (watchdog port: every server-side signal), prom-client's
// default metrics only (loop delay p99 and max, nothing else the report reads), or nothing (the
// endpoint does not answer, or serves none of the names the runner reads: client-side signals
// only). A signal the target cannot give is listed with the reason, so the report can say why a
// row is blank instead of the run failing.
import * as metric from '@runtime-lab/metric-names';
import type { Families } from '@runtime-lab/scrape';
import { SIGNALS, SIGNAL_IDS, type SignalId } from '../signals.js';

/**
 * `telemetry`: the lab's telemetry plugin (runtime_eventloop_delay_seconds is served);
 * `prom-client`: prom-client's default metrics without the plugin (nodejs_eventloop_lag_p99_seconds);
 * `none`: nothing the runner can read (see `reason`).
 */
export type MetricsSourceKind = 'telemetry' | 'prom-client' | 'none';

export interface UnavailableSignal {
  signal: SignalId;
  reason: string;
}

export interface MetricsSource {
  kind: MetricsSourceKind;
  /** Why the kind is `none`, or undefined. */
  reason?: string;
  /** Server-side signals the target does not expose, each with why; client-side signals are always measured. */
  unavailable: UnavailableSignal[];
}

/** The metric names each server-side signal can be read from, in order of preference. */
const SOURCES_OF: Partial<Record<SignalId, readonly string[]>> = {
  serverP99: [metric.METRIC_HTTP_REQUEST_DURATION_SECONDS],
  loopDelayP99: [metric.METRIC_EVENTLOOP_DELAY_SECONDS, metric.METRIC_NODEJS_EVENTLOOP_LAG_P99_SECONDS],
  loopDelayMax: [metric.METRIC_EVENTLOOP_DELAY_MAX_SECONDS, metric.METRIC_NODEJS_EVENTLOOP_LAG_MAX_SECONDS],
  loopStall: [metric.METRIC_EVENTLOOP_STALL_SECONDS],
  elu: [metric.METRIC_EVENTLOOP_ACTIVE_SECONDS_TOTAL, metric.METRIC_EVENTLOOP_UTILIZATION_RATIO],
  poolQueue: [metric.METRIC_POOL_QUEUE_SIZE],
  threadpoolCanary: [metric.METRIC_THREADPOOL_CANARY_SECONDS],
  backlog: [metric.METRIC_LAB_CHECKOUT_BACKLOG],
};

const SERVER_SIGNALS = SIGNAL_IDS.filter((id) => SIGNALS[id].side === 'server');

/** Classifies a target from one scrape of `metricsUrl` (`families`), or from the error that scrape failed with. */
export function classifyMetricsSource(metricsUrl: string, scrape: { families: Families } | { error: string }): MetricsSource {
  if ('error' in scrape) {
    const reason = `${metricsUrl} did not answer before the run (${scrape.error})`;
    return { kind: 'none', reason, unavailable: SERVER_SIGNALS.map((signal) => ({ signal, reason: `no metrics: ${reason}` })) };
  }
  const { families } = scrape;
  const kind: MetricsSourceKind = families.has(metric.METRIC_EVENTLOOP_DELAY_SECONDS)
    ? 'telemetry'
    : families.has(metric.METRIC_NODEJS_EVENTLOOP_LAG_P99_SECONDS)
      ? 'prom-client'
      : 'none';
  const reason = kind === 'none' ? `${metricsUrl} serves neither the lab's telemetry plugin nor prom-client's default metrics` : undefined;
  const unavailable: UnavailableSignal[] = [];
  for (const signal of SERVER_SIGNALS) {
    const names = SOURCES_OF[signal] ?? [];
    if (names.some((name) => families.has(name))) continue;
    unavailable.push({
      signal,
      reason: reason ? `no metrics: ${reason}` : `${metricsUrl} serves no ${names.join(' or ')}${hintFor(signal)}`,
    });
  }
  return { kind, ...(reason ? { reason } : {}), unavailable };
}

function hintFor(signal: SignalId): string {
  if (signal === 'backlog') return ' (a lab api metric)';
  if (signal === 'poolQueue') return " (the telemetry plugin's worker-pool metrics; only a service with a pool serves them)";
  return " (the lab's telemetry plugin exports it)";
}

/** One line for the report and the terminal: what the target exposed and which signals it could not give. */
export function metricsSourceText(source: MetricsSource): string {
  const what =
    source.kind === 'telemetry'
      ? "the lab's telemetry plugin"
      : source.kind === 'prom-client'
        ? "prom-client's default metrics only (loop delay from nodejs_eventloop_lag_p99_seconds and nodejs_eventloop_lag_max_seconds, over each scrape interval)"
        : `no server metrics (${source.reason ?? 'none'}): client-side signals only`;
  if (source.unavailable.length === 0) return `Server-side signals from ${what}.`;
  const names = source.unavailable.map((u) => SIGNALS[u.signal].label).join(', ');
  return `Server-side signals from ${what}; not available: ${names}.`;
}
