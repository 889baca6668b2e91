// Closed-loop pressure with autocannon, for timeouts of 1 s or more (the catalogue's default is
// 5 s): its own HTTP parser costs the runner ~25 us of CPU per request, a quarter of Node's http
// client, so the service sees the load the scenarios were written for.
// Its `timeout` is in seconds (fractions allowed, under 1 refused) and is re-armed at each request
// it writes: with one request in flight per connection, a deadline per request from its send. A
// timeout reaches the listeners as an error "request timed out" without a latency: it is recorded
// here as a timeout at the configured time, which the request took at least (the report reads
// "≥ the timeout"). No rate is given to autocannon, so its coordinated-omission correction (wrong
// with a rate: docs/architecture.md, "Decisions") never applies.
import autocannon from 'autocannon';
import type { PressureOptions, PressureSummary } from './pressure.js';

/** autocannon's smallest timeout. */
export const AUTOCANNON_MIN_TIMEOUT_MS = 1000;

export class AutocannonPressure {
  private readonly instance: autocannon.Instance;
  readonly result: Promise<PressureSummary>;

  constructor(options: PressureOptions) {
    let resolve: (summary: PressureSummary) => void = () => {};
    let reject: (error: Error) => void = () => {};
    this.result = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.result.catch(() => {});
    this.instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSeconds,
        method: options.method,
        ...(options.body === undefined ? {} : { body: options.body, headers: { 'content-type': 'application/json' } }),
        timeout: options.timeoutMs / 1000,
      },
      (error, result) => {
        if (error) reject(error);
        else
          resolve({
            requests: result.requests.total,
            errors: result.errors - result.timeouts,
            timeouts: result.timeouts,
            non2xx: result.non2xx,
            p99Ms: result.latency.p99,
          });
      },
    );
    this.instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
      options.onRecord({ atMs: Date.now(), latencyMs: responseTimeMs, outcome: statusCode >= 200 && statusCode < 400 ? 'ok' : 'error' });
    });
    this.instance.on('reqError', (error: Error & { code?: string }) => {
      const timeout = /timed out|timeout/i.test(error.message);
      // A timeout took at least the timeout; an error (refused, reset) has no latency to record.
      options.onRecord({ atMs: Date.now(), latencyMs: timeout ? options.timeoutMs : null, outcome: timeout ? 'timeout' : 'error' });
    });
  }

  stop(): Promise<PressureSummary> {
    this.instance.stop();
    return this.result;
  }
}
