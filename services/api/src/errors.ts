// Error classes with stable `code`s (undici style): clients and tests match on the code, humans
// read the message, which always says what was wrong and what is allowed.

export type ApiErrorCode =
  | 'LAB_UNKNOWN_FAULT'
  | 'LAB_INVALID_PARAMS'
  | 'LAB_INVALID_BODY'
  | 'LAB_UNAUTHORIZED'
  | 'LAB_FORBIDDEN'
  | 'LAB_SHED'
  | 'LAB_POOL_QUEUE_FULL'
  | 'LAB_POOL_RETIRED'
  | 'LAB_CHILD_QUEUE_FULL'
  | 'LAB_CHILD_WORK_CANCELLED'
  | 'LAB_DOWNSTREAM_FAILED'
  | 'LAB_SHUTTING_DOWN';

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly statusCode: number;
  /** Extra JSON fields for the response body (e.g. the allowed names). */
  readonly details: Record<string, unknown>;
  /** Seconds for a Retry-After header (503s only). */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ApiErrorCode, statusCode: number, message: string, details: Record<string, unknown> = {}, retryAfterSeconds?: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.statusCode = statusCode;
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  toJSON(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.details };
  }
}
