// build(): the api as tests see it in-process (Fastify inject or a listener on port 0).
// The watchdog thread is off by default (its port is not needed with inject), default
// metrics too (they would only slow the registry down); telemetry is otherwise real.
import Fastify, { type FastifyInstance } from 'fastify';
import api, { type ApiOptions } from '../src/app.js';

/** A port nothing listens on: downstream calls fail fast with ECONNREFUSED. */
export const NO_DOWNSTREAM = 'http://127.0.0.1:9';

export async function build(options: ApiOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  try {
    await app.register(api, {
      downstreamUrl: NO_DOWNSTREAM,
      ...options,
      telemetry: { watchdog: false, defaultMetrics: false, threadpoolCanary: false, ...options.telemetry },
    });
    await app.ready();
  } catch (error) {
    // Release what did start (threads, timers), or the failed test file would never exit.
    await app.close();
    throw error;
  }
  return app;
}

/** State of every toggle without the part that changes by itself (seconds left). */
export function stableState(faults: { remainingSeconds: number | null }[]): unknown[] {
  return faults.map(({ remainingSeconds: _ignored, ...rest }) => rest);
}
