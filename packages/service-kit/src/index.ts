// @runtime-lab/service-kit: what both lab services share, below them both, so that neither
// service depends on the other. See docs/architecture.md.
export { adminAccessProblem, isLoopback, type AccessProblem } from './admin-access.js';
export { DEADLINE_HEADER, MAX_DEADLINE_MS, parseDeadlineMs } from './deadline.js';
export { ServiceConfigError, integerFromEnv, readServiceEnv, urlFromEnv, watchdogOptions, type ServiceEnv } from './env.js';
export { serve, startOrRelease, type Listening, type ServeOptions } from './serve.js';
export { openStopChannel, STOP_FD_VARIABLE, type StopChannel, stopChannelFd } from './stop-channel.js';
export { KILL_GRACE_MS, supervise, type SuperviseOptions } from './supervise.js';
