export { default as downstream, DOWNSTREAM_DEFAULTS, MAX_WAITING, parseSettings } from './app.js';
export type { DownstreamControl, DownstreamOptions, DownstreamSettings } from './app.js';
export { Limiter } from './limiter.js';
export { sampleLatencyMs } from './latency.js';
