// The signals a run records per second, and how each is summarised over a phase.
// One table so the sampler, the expectations, the lead-time analysis and the reports
// agree on names, units and default thresholds.

export const SIGNAL_IDS = [
  'probeP99',
  'coldProbeP99',
  'rampP99',
  'pressureP99',
  'serverP99',
  'loopDelayP99',
  'loopDelayMax',
  'loopStall',
  'elu',
  'poolQueue',
  'threadpoolCanary',
  'backlog',
  'errorRate',
] as const;

export type SignalId = (typeof SIGNAL_IDS)[number];

export type SignalUnit = 'seconds' | 'ratio' | 'count';

export interface SignalInfo {
  id: SignalId;
  label: string;
  unit: SignalUnit;
  /** Where the figure comes from: the client (runner) or the service's watchdog port. */
  side: 'client' | 'server';
  /**
   * How a phase is summarised by default: `p99` over every observation in the phase (latency
   * histograms), `max` / `mean` of the per-second values (gauges), `ratio` of counts.
   */
  phaseStat: 'p99' | 'max' | 'mean' | 'ratio';
  /** Threshold used by the lead-time analysis unless a scenario overrides it. */
  defaultThreshold: number;
  description: string;
}

export const SIGNALS: Record<SignalId, SignalInfo> = {
  probeP99: {
    id: 'probeP99',
    label: 'warm probe P99 (keep-alive)',
    unit: 'seconds',
    side: 'client',
    phaseStat: 'p99',
    defaultThreshold: 0.1,
    description:
      'P99 of the warm open-loop probe (keep-alive sockets opened before the run: the best-placed client), measured from the intended send time (no coordinated omission).',
  },
  coldProbeP99: {
    id: 'coldProbeP99',
    label: 'cold probe P99 (new connection each)',
    unit: 'seconds',
    side: 'client',
    phaseStat: 'p99',
    defaultThreshold: 0.1,
    description:
      'P99 of the cold open-loop probe: a new TCP connection per request (load balancers without keep-alive, health checkers, kubelet probes), measured from the intended send time, timeouts kept with their latency.',
  },
  rampP99: {
    id: 'rampP99',
    label: 'ramp P99 (open loop)',
    unit: 'seconds',
    side: 'client',
    phaseStat: 'p99',
    defaultThreshold: 0.1,
    description:
      'P99 of the open-loop load streams (ramp, rate and burst) together, from the intended send time; each named stream also has its own P99 in the report.',
  },
  pressureP99: {
    id: 'pressureP99',
    label: 'pressure P99 (closed loop)',
    unit: 'seconds',
    side: 'client',
    phaseStat: 'p99',
    defaultThreshold: 0.5,
    description:
      'P99 of the closed-loop pressure streams, timed from the actual send, so it hides the time a stalled service delays the next request; a timeout counts at its latency (≥ the timeout).',
  },
  serverP99: {
    id: 'serverP99',
    label: 'server-side P99 of the probe route',
    unit: 'seconds',
    side: 'server',
    phaseStat: 'p99',
    defaultThreshold: 0.05,
    description:
      'runtime_http_request_duration_seconds of the probe route (onRequest to response), as the bounds of the bucket holding its p99: the classic, misleading view.',
  },
  loopDelayP99: {
    id: 'loopDelayP99',
    label: 'loop delay p99',
    unit: 'seconds',
    side: 'server',
    phaseStat: 'p99',
    // Nominal: the report uses the first bucket edge at or above it (a threshold inside a
    // bucket cannot be decided), whatever bucket layout the service serves.
    defaultThreshold: 0.05,
    description:
      'p99 of runtime_eventloop_delay_seconds over the interval (cumulative histogram, per-interval delta), as the bounds of the bucket holding it. The histogram is weighted by time (one observation per 10 ms of wall time, a stall back-filling the ticks it swallowed), so the p99 is the wait that 1 % of the interval exceeded: a task that became ready then waited at least this long.',
  },
  loopDelayMax: {
    id: 'loopDelayMax',
    label: 'loop delay max',
    unit: 'seconds',
    side: 'server',
    phaseStat: 'max',
    // Unless a scenario sets it: the same threshold loop delay p99 uses, so the two rows compare.
    defaultThreshold: 0.05,
    description:
      'Per second: runtime_eventloop_delay_max_seconds (the longest delay over the last few seconds). Per phase: the bucket of the longest delay the histogram recorded in the phase (the gauge would carry a stall over from the previous phase).',
  },
  loopStall: {
    id: 'loopStall',
    label: 'live stall',
    unit: 'seconds',
    side: 'server',
    phaseStat: 'max',
    defaultThreshold: 0.1,
    description: 'runtime_eventloop_stall_seconds: seconds since the main thread last beat, read by the watchdog while the stall lasts.',
  },
  elu: {
    id: 'elu',
    label: 'event-loop utilization',
    unit: 'ratio',
    side: 'server',
    phaseStat: 'mean',
    defaultThreshold: 0.8,
    description:
      'Event-loop utilization between consecutive watchdog snapshots (increase of runtime_eventloop_active_seconds_total over their time apart; runtime_eventloop_utilization_ratio when the counter is missing).',
  },
  poolQueue: {
    id: 'poolQueue',
    label: 'pool queue',
    unit: 'count',
    side: 'server',
    phaseStat: 'max',
    defaultThreshold: 5,
    description: 'runtime_pool_queue_size summed over pools: tasks waiting for a worker thread.',
  },
  threadpoolCanary: {
    id: 'threadpoolCanary',
    label: 'threadpool canary',
    unit: 'seconds',
    side: 'server',
    phaseStat: 'max',
    defaultThreshold: 0.05,
    description:
      "The larger of the canary latency p99 over the interval (its bucket) and the age of the canary still waiting (libuv threadpool queueing). Its callback runs on the main loop, so only (1 − ELU) of its lower bound is certainly the threadpool's; the upper bound is as measured.",
  },
  backlog: {
    id: 'backlog',
    label: 'checkout backlog',
    unit: 'count',
    side: 'server',
    phaseStat: 'max',
    defaultThreshold: 20,
    description: "lab_checkout_backlog: downstream calls queued in the api's in-process queue.",
  },
  errorRate: {
    id: 'errorRate',
    label: 'client error rate',
    unit: 'ratio',
    side: 'client',
    phaseStat: 'ratio',
    defaultThreshold: 0.01,
    description: 'Share of client requests (warm and cold probe, ramp, pressure) that failed, timed out or answered outside 200–399.',
  },
};

export function isSignalId(value: unknown): value is SignalId {
  return typeof value === 'string' && (SIGNAL_IDS as readonly string[]).includes(value);
}

/** A value's number and unit apart, so a range can share one unit ("320–640 ms"). */
function formatParts(id: SignalId, value: number): [string, string] {
  const unit = SIGNALS[id].unit;
  if (unit === 'seconds') {
    const ms = value * 1000;
    // Three significant digits below 100 ms, so bucket edges read as they are (1.25, 2.5, 40 ms).
    return [ms >= 100 ? `${Math.round(ms)}` : `${Number(ms.toPrecision(3))}`, ' ms'];
  }
  if (unit === 'ratio') return [value.toFixed(2), ''];
  return [Number.isInteger(value) ? String(value) : value.toFixed(1), ''];
}

/** Formats a signal value for tables: milliseconds for durations, plain otherwise. */
export function formatSignal(id: SignalId, value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  const [number, unit] = formatParts(id, value);
  return `${number}${unit}`;
}

/**
 * Formats a figure as the report stores it (range.ts): exact, "320–640 ms" for a bucket,
 * "≤ 2.5 ms" for the first bucket, "≥ 5000 ms" when unbounded above (a timeout).
 */
export function formatFigure(id: SignalId, value: number | null | undefined, lower?: number | null): string {
  if (lower === null || lower === undefined) return formatSignal(id, value);
  if (value === null || value === undefined) return `≥ ${formatSignal(id, lower)}`;
  if (lower === value) return formatSignal(id, value);
  if (lower === 0) return `≤ ${formatSignal(id, value)}`;
  const [from] = formatParts(id, lower);
  const [to, unit] = formatParts(id, value);
  return `${from}–${to}${unit}`;
}
