export { default as downstream, DOWNSTREAM_DEFAULTS, MAX_WAITING, parseSettings } from './app.js';
export { DEADLINE_HEADER, MAX_DEADLINE_MS, parseDeadlineMs } from './deadline.js';
export type { DownstreamControl, DownstreamOptions, DownstreamSettings } from './app.js';
export { adminAccessProblem, isLoopback, type AccessProblem } from './admin-access.js';
export { ConfigError, integerFromEnv, readServiceEnv, urlFromEnv, type ServiceEnv } from './env.js';
export { Limiter } from './limiter.js';
export { sampleLatencyMs } from './latency.js';
export { serve, type Listening, type ServeOptions } from './serve.js';
export { serviceLoggerOptions, setRedactedNotFound } from './logger.js';
