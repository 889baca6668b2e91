// Every error this package throws, with a stable code (LAB_TELEMETRY_*) so callers and tests
// can match on the code instead of the wording.

export const ErrorCodes = {
  INVALID_OPTION: 'LAB_TELEMETRY_INVALID_OPTION',
  PORT_IN_USE: 'LAB_TELEMETRY_PORT_IN_USE',
  WATCHDOG_START_FAILED: 'LAB_TELEMETRY_WATCHDOG_START_FAILED',
  REGISTRY_CONFLICT: 'LAB_TELEMETRY_REGISTRY_CONFLICT',
  INVALID_POOL: 'LAB_TELEMETRY_INVALID_POOL',
  POOL_NOT_MEASURED: 'LAB_TELEMETRY_POOL_NOT_MEASURED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class TelemetryError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TelemetryError';
    this.code = code;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function invalidOption(option: string, got: unknown, allowed: string): TelemetryError {
  return new TelemetryError(
    ErrorCodes.INVALID_OPTION,
    `@runtime-lab/telemetry: invalid option ${option}: got ${describe(got)}, allowed: ${allowed}`,
  );
}

export function portInUse(host: string, port: number, cause?: unknown): TelemetryError {
  return new TelemetryError(
    ErrorCodes.PORT_IN_USE,
    `@runtime-lab/telemetry: watchdog port ${port} on ${host} is already in use; ` +
      'set watchdog.port to a free port, 0 for an ephemeral one, or watchdog: false',
    { cause },
  );
}

export function watchdogStartFailed(host: string, port: number, reason: string, cause?: unknown): TelemetryError {
  return new TelemetryError(
    ErrorCodes.WATCHDOG_START_FAILED,
    `@runtime-lab/telemetry: the watchdog could not serve ${host}:${port}: ${reason}`,
    { cause },
  );
}

export function registryConflict(name: string, cause?: unknown): TelemetryError {
  return new TelemetryError(
    ErrorCodes.REGISTRY_CONFLICT,
    `@runtime-lab/telemetry: the registry already holds a metric named ${name}; ` +
      'pass a fresh registry (option registry) or a different prefix (option prefix)',
    { cause },
  );
}

export function invalidPool(what: string): TelemetryError {
  return new TelemetryError(ErrorCodes.INVALID_POOL, `@runtime-lab/telemetry: instrumentPool: ${what}`);
}

export function poolNotMeasured(name: string): TelemetryError {
  return new TelemetryError(
    ErrorCodes.POOL_NOT_MEASURED,
    `@runtime-lab/telemetry: pool "${name}" finished a task without timing it: its worker must export ` +
      "measured(fn) from '@runtime-lab/telemetry/pool-worker' as the task handler",
  );
}
