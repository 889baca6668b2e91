// Options are checked and filled once, before anything starts, so a bad option fails
// registration with a message naming it and changes nothing.
import { Registry } from 'prom-client';
import { invalidOption } from './errors.js';

export interface WatchdogOptions {
  /** Default 9464; 0 picks an ephemeral port. The plugin reads no environment: pass the port you want. */
  port?: number;
  /** Default '127.0.0.1' (the lab's compose file has its services pass 0.0.0.0). */
  host?: string;
  /** A scrape that finds the registry snapshot older than this (ms) asks the main thread for a fresh one; an unscraped app writes none. Default 500. */
  snapshotIntervalMs?: number;
  /** How often the main thread writes its heartbeat to shared memory. Default 10 (shares the loop-delay sampler's timer). */
  heartbeatIntervalMs?: number;
  /**
   * The watchdog's /livez answers 503 while the main thread has been stalled (no heartbeat)
   * for longer than this, 200 otherwise. Default 10000: a loop that has not turned for 10 s is
   * stuck, not busy. Point a liveness probe at /livez, never at /healthz or /metrics (both
   * answer during any stall, so they would keep a stuck process alive for ever).
   */
  livenessMaxStallMs?: number;
  /**
   * How much the watchdog thread's nice value is raised above the event loop's on Linux (0-19, as
   * `nice -n`; capped at 19, the lowest priority; the process's other threads keep theirs).
   * Default 10: where the thread shares a CPU with the event loop, the kernel runs the loop first,
   * so the watchdog writing a large scrape does not delay it; the watchdog still gets its share
   * while the loop is blocked (it then answers a little later). 0 leaves the thread's priority
   * alone. Ignored on other systems, where a thread's priority cannot be set this way
   * (os.setPriority would change the whole process's).
   */
  nice?: number;
}

/** Stall attribution: names the code that held the event loop (stall-sampler.ts). Needs the watchdog. */
export interface StallAttributionOptions {
  /** A stall is attributed once the loop has been blocked this long. Default 100. */
  thresholdMs?: number;
  /** Frames kept per captured stack, innermost first. Default 16. */
  maxFrames?: number;
  /** Stacks captured per stall: at the threshold, then every thresholdMs while it lasts. Default 5. */
  maxSamplesPerStall?: number;
  /** Distinct frames named in the metric's `frame` label before the rest count as "other". Default 10. */
  topFrames?: number;
  /** At most one log line per this many ms (later stalls are counted in the next line). Default 10000. */
  logIntervalMs?: number;
  /** Finished stalls listed by GET /stalls on the watchdog port. Default 20. */
  recentStalls?: number;
}

export interface TelemetryOptions {
  /** Prefix of the corrected signals. Default 'runtime_'. */
  prefix?: string;
  /** Registry to register into. Default: a new one (never prom-client's global registry). */
  registry?: Registry;
  /** prom-client's default metrics (process_*, nodejs_*) under their usual names. Default true. */
  defaultMetrics?: boolean;
  /** The watchdog worker thread serving /metrics and /healthz on its own port. Default on. */
  watchdog?: false | WatchdogOptions;
  loopDelay?: { maxWindowSeconds?: number };
  /** Interval of the per-interval gauges (ELU, pool utilization). Default 1000. */
  eluIntervalMs?: number;
  threadpoolCanary?: false | { intervalMs?: number };
  /** In-flight requests, per-route latency histogram, X-Request-Start queue time. Default true. */
  http?: boolean;
  /**
   * Also serve /metrics on the app's own port (the main loop). Default false: it exists so
   * benchmarks and tests can show how such a route fails during a stall.
   */
  metricsRoute?: boolean;
  /**
   * Capture the main thread's stack while the loop is stalled (from the watchdog thread, through
   * an in-process inspector session: no port). Default false: off unless asked for.
   */
  stallAttribution?: false | StallAttributionOptions;
}

export interface FilledOptions {
  prefix: string;
  registry: Registry;
  defaultMetrics: boolean;
  watchdog: false | Required<WatchdogOptions>;
  loopDelay: { maxWindowSeconds: number };
  eluIntervalMs: number;
  threadpoolCanary: false | { intervalMs: number };
  http: boolean;
  metricsRoute: boolean;
  stallAttribution: false | Required<StallAttributionOptions>;
}

export const DEFAULTS = {
  prefix: 'runtime_',
  port: 9464,
  host: '127.0.0.1',
  snapshotIntervalMs: 500,
  heartbeatIntervalMs: 10,
  livenessMaxStallMs: 10_000,
  nice: 10,
  maxWindowSeconds: 5,
  eluIntervalMs: 1000,
  canaryIntervalMs: 250,
  stallAttribution: { thresholdMs: 100, maxFrames: 16, maxSamplesPerStall: 5, topFrames: 10, logIntervalMs: 10_000, recentStalls: 20 },
} as const;

// Fastify itself accepts these on every register() call; they are not ours to reject.
const FASTIFY_REGISTER_KEYS = new Set(['logLevel', 'logSerializers']);
const TOP_KEYS = [
  'prefix',
  'registry',
  'defaultMetrics',
  'watchdog',
  'loopDelay',
  'eluIntervalMs',
  'threadpoolCanary',
  'http',
  'metricsRoute',
  'stallAttribution',
];
const WATCHDOG_KEYS = ['port', 'host', 'snapshotIntervalMs', 'heartbeatIntervalMs', 'livenessMaxStallMs', 'nice'];

const PREFIX_PATTERN = /^([a-zA-Z_][a-zA-Z0-9_]*)?$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(path: string, value: Record<string, unknown>, allowed: string[], ignore?: Set<string>): void {
  for (const key of Object.keys(value)) {
    if (allowed.includes(key) || ignore?.has(key)) continue;
    throw invalidOption(`${path}${key}`, value[key], `no such option; known options: ${allowed.join(', ')}`);
  }
}

function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidOption(name, value, 'true or false');
  return value;
}

function intIn(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(name, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

function hostFrom(value: unknown): string {
  const host = value ?? DEFAULTS.host;
  if (typeof host !== 'string' || host.trim() === '') {
    throw invalidOption('watchdog.host', host, "a host name or IP address, e.g. '127.0.0.1' or '0.0.0.0'");
  }
  return host;
}

function watchdogFrom(value: unknown): FilledOptions['watchdog'] {
  if (value === false) return false;
  if (value === undefined || value === true) value = {};
  if (!isPlainObject(value)) throw invalidOption('watchdog', value, `false or an object with ${WATCHDOG_KEYS.join(', ')}`);
  checkKeys('watchdog.', value, WATCHDOG_KEYS);
  return {
    port: intIn('watchdog.port', value.port, DEFAULTS.port, 0, 65535),
    host: hostFrom(value.host),
    snapshotIntervalMs: intIn('watchdog.snapshotIntervalMs', value.snapshotIntervalMs, DEFAULTS.snapshotIntervalMs, 10, 1000),
    heartbeatIntervalMs: intIn('watchdog.heartbeatIntervalMs', value.heartbeatIntervalMs, DEFAULTS.heartbeatIntervalMs, 1, 100),
    // At least twice the longest heartbeat interval, so an idle loop never reads as stalled.
    livenessMaxStallMs: intIn('watchdog.livenessMaxStallMs', value.livenessMaxStallMs, DEFAULTS.livenessMaxStallMs, 200, 3_600_000),
    // An increment: 0 keeps the loop's priority; a negative one would need CAP_SYS_NICE and put the watchdog before the loop.
    nice: intIn('watchdog.nice', value.nice, DEFAULTS.nice, 0, 19),
  };
}

const ATTRIBUTION_KEYS = Object.keys(DEFAULTS.stallAttribution);

function stallAttributionFrom(value: unknown, watchdog: FilledOptions['watchdog']): FilledOptions['stallAttribution'] {
  if (value === undefined || value === false) return false;
  if (value === true) value = {};
  if (!isPlainObject(value)) throw invalidOption('stallAttribution', value, `false, true or an object with ${ATTRIBUTION_KEYS.join(', ')}`);
  checkKeys('stallAttribution.', value, ATTRIBUTION_KEYS);
  if (watchdog === false)
    throw invalidOption(
      'stallAttribution',
      'set while watchdog is false',
      'stallAttribution needs the watchdog thread: remove watchdog: false',
    );
  const d = DEFAULTS.stallAttribution;
  return {
    thresholdMs: intIn('stallAttribution.thresholdMs', value.thresholdMs, d.thresholdMs, 20, 60_000),
    maxFrames: intIn('stallAttribution.maxFrames', value.maxFrames, d.maxFrames, 1, 64),
    maxSamplesPerStall: intIn('stallAttribution.maxSamplesPerStall', value.maxSamplesPerStall, d.maxSamplesPerStall, 1, 100),
    topFrames: intIn('stallAttribution.topFrames', value.topFrames, d.topFrames, 1, 100),
    logIntervalMs: intIn('stallAttribution.logIntervalMs', value.logIntervalMs, d.logIntervalMs, 0, 3_600_000),
    recentStalls: intIn('stallAttribution.recentStalls', value.recentStalls, d.recentStalls, 1, 1000),
  };
}

export function fillOptions(raw: unknown): FilledOptions {
  const options = raw ?? {};
  if (!isPlainObject(options)) throw invalidOption('options', options, 'an object');
  checkKeys('', options, TOP_KEYS, FASTIFY_REGISTER_KEYS);

  const prefix = options.prefix ?? DEFAULTS.prefix;
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw invalidOption('prefix', prefix, "a Prometheus metric-name prefix matching [a-zA-Z_][a-zA-Z0-9_]*, e.g. 'runtime_'");
  }
  const registry = options.registry ?? new Registry();
  if (!(registry instanceof Registry))
    throw invalidOption('registry', registry, "a prom-client Registry (from the same 'prom-client' package)");
  // The watchdog appends its live lines to the snapshot, which only works in the text format.
  if (registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) {
    throw invalidOption(
      'registry',
      `a Registry with content type ${registry.contentType}`,
      `a Registry with the Prometheus text content type (${Registry.PROMETHEUS_CONTENT_TYPE})`,
    );
  }

  const loopDelay = options.loopDelay ?? {};
  if (!isPlainObject(loopDelay)) throw invalidOption('loopDelay', loopDelay, 'an object with maxWindowSeconds');
  checkKeys('loopDelay.', loopDelay, ['maxWindowSeconds']);

  let threadpoolCanary: FilledOptions['threadpoolCanary'];
  const canary = options.threadpoolCanary;
  if (canary === false) threadpoolCanary = false;
  else if (canary === undefined || canary === true || isPlainObject(canary)) {
    const c = isPlainObject(canary) ? canary : {};
    checkKeys('threadpoolCanary.', c, ['intervalMs']);
    threadpoolCanary = { intervalMs: intIn('threadpoolCanary.intervalMs', c.intervalMs, DEFAULTS.canaryIntervalMs, 10, 60_000) };
  } else {
    throw invalidOption('threadpoolCanary', canary, 'false or an object with intervalMs');
  }

  const watchdog = watchdogFrom(options.watchdog);
  return {
    prefix,
    registry,
    defaultMetrics: bool('defaultMetrics', options.defaultMetrics, true),
    watchdog,
    loopDelay: { maxWindowSeconds: intIn('loopDelay.maxWindowSeconds', loopDelay.maxWindowSeconds, DEFAULTS.maxWindowSeconds, 1, 300) },
    eluIntervalMs: intIn('eluIntervalMs', options.eluIntervalMs, DEFAULTS.eluIntervalMs, 50, 60_000),
    threadpoolCanary,
    http: bool('http', options.http, true),
    metricsRoute: bool('metricsRoute', options.metricsRoute, false),
    stallAttribution: stallAttributionFrom(options.stallAttribution, watchdog),
  };
}
