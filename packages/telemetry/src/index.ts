// @runtime-lab/telemetry: runtime signals for any Fastify app that stay correct while the
// event loop is stalled. See docs/metrics.md for the names and docs/measurement.md for why.
import { telemetry } from './plugin.js';

export default telemetry;
export { telemetry };
export type { Telemetry } from './plugin.js';
export type { StallAttributionOptions, TelemetryOptions, WatchdogOptions } from './options.js';
export type { AttributedStall, StallsSnapshot } from './stall-sampler.js';
export type { StallFrame } from './stall-capture.js';
export type { InstrumentedPool, PoolLike, RunOptions } from './pool.js';
export { ErrorCodes, TelemetryError, type ErrorCode } from './errors.js';
export { LOOP_DELAY_BUCKETS_SECONDS, LOOP_SAMPLE_PERIOD_MS } from './loop-delay.js';
export { parseRequestStart, UNMATCHED_ROUTE } from './http.js';
export { SNAPSHOT_CHANNEL, type SnapshotPublished } from './watchdog.js';
