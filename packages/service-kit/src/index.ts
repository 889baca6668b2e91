// @runtime-lab/service-kit: what both lab services share, below them both, so that neither
// service depends on the other. See docs/architecture.md.
export { adminAccessProblem, isLoopback, type AccessProblem } from './admin-access.js';
export { DEADLINE_HEADER, MAX_DEADLINE_MS, parseDeadlineMs } from './deadline.js';
export { ServiceConfigError, integerFromEnv, readServiceEnv, urlFromEnv, watchdogOptions, type ServiceEnv } from './env.js';
export { serve, type Listening, type ServeOptions } from './serve.js';
