// Reading the services' environment once at start-up; every error names the variable and
// what is allowed. Shared by both services; the telemetry plugin reads no environment, so the
// watchdog's port and host come from here too.

export class ServiceConfigError extends Error {
  readonly code = 'LAB_INVALID_CONFIG';
  constructor(variable: string, value: unknown, allowed: string) {
    super(`${variable}=${JSON.stringify(value)} is invalid: expected ${allowed}`);
    this.name = 'ServiceConfigError';
  }
}

export function integerFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) throw new ServiceConfigError(name, raw, `an integer from ${min} to ${max}`);
  return value;
}

export function urlFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = env[name] || fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ServiceConfigError(name, raw, 'an http:// URL, e.g. http://127.0.0.1:8081');
  }
  if (url.protocol !== 'http:') throw new ServiceConfigError(name, raw, 'an http:// URL, e.g. http://127.0.0.1:8081');
  return url.origin;
}

/** The telemetry watchdog's options from the service environment (the plugin reads none itself). */
export function watchdogOptions(env: ServiceEnv): { port: number; host: string; livenessMaxStallMs?: number } {
  const options = { port: env.metricsPort, host: env.metricsHost };
  return env.livenessMaxStallMs === undefined ? options : { ...options, livenessMaxStallMs: env.livenessMaxStallMs };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Shared by both services: listen address, logging, admin token and shutdown bounds. */
export interface ServiceEnv {
  port: number;
  host: string;
  /** The telemetry watchdog's port (METRICS_PORT), passed as the plugin's watchdog.port. */
  metricsPort: number;
  /** The telemetry watchdog's listen address (METRICS_HOST), passed as the plugin's watchdog.host. */
  metricsHost: string;
  adminToken: string | undefined;
  logLevel: string;
  /** How long in-flight requests may drain after SIGTERM before they are cut. */
  drainMs: number;
  /** Exit (code 0) at the latest this long after SIGTERM. */
  exitDeadlineMs: number;
  /**
   * The watchdog's /livez fails after the main thread stalled this long (LIVENESS_MAX_STALL_MS);
   * undefined leaves the telemetry plugin's default.
   */
  livenessMaxStallMs: number | undefined;
}

export function readServiceEnv(env: NodeJS.ProcessEnv, defaults: { port: number; metricsPort: number }): ServiceEnv {
  const logLevel = env.LOG_LEVEL || 'warn';
  if (!LOG_LEVELS.includes(logLevel)) throw new ServiceConfigError('LOG_LEVEL', logLevel, `one of ${LOG_LEVELS.join(', ')}`);
  const drainMs = integerFromEnv(env, 'SHUTDOWN_DRAIN_MS', 3000, 0, 60_000);
  return {
    port: integerFromEnv(env, 'PORT', defaults.port, 0, 65_535),
    host: env.HOST || '127.0.0.1',
    metricsPort: integerFromEnv(env, 'METRICS_PORT', defaults.metricsPort, 0, 65_535),
    metricsHost: env.METRICS_HOST || '127.0.0.1',
    adminToken: env.LAB_ADMIN_TOKEN || undefined,
    logLevel,
    drainMs,
    exitDeadlineMs: integerFromEnv(env, 'SHUTDOWN_DEADLINE_MS', Math.max(4500, drainMs + 1000), 100, 120_000),
    // Same bounds as the plugin option, so a bad value is named by its variable here.
    livenessMaxStallMs: env.LIVENESS_MAX_STALL_MS ? integerFromEnv(env, 'LIVENESS_MAX_STALL_MS', 0, 200, 3_600_000) : undefined,
  };
}
