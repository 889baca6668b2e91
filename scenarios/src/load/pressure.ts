// Closed-loop pressure with autocannon: N connections, each sending its next request only
// after the previous answer. That is how most load tools behave and exactly why their
// latency hides stalls (coordinated omission): while the service is stalled, the tool stops
// sending. Its figures are reported as "pressure (closed loop)", never as open-loop latency.
// No rate is given to autocannon, so its coordinated-omission correction (wrong with a
// rate: docs/architecture.md, "Decisions") never applies.
import autocannon from 'autocannon';

export interface PressureRecord {
  atMs: number;
  /** Null for an error: autocannon says nothing about how long it took, and 0 ms would flatter the P99. */
  latencyMs: number | null;
  outcome: 'ok' | 'error' | 'timeout';
}

export interface PressureOptions {
  url: string;
  method: 'GET' | 'POST';
  body?: string;
  connections: number;
  durationSeconds: number;
  timeoutMs: number;
  onRecord: (record: PressureRecord) => void;
}

export interface PressureSummary {
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** autocannon's own P99 (ms, closed loop). */
  p99Ms: number;
}

export class PressureStream {
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
        timeout: Math.max(1, Math.ceil(options.timeoutMs / 1000)),
      },
      (error, result) => {
        if (error) reject(error);
        else
          resolve({
            requests: result.requests.total,
            errors: result.errors,
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
      const timeout = error.code === 'UND_ERR_HEADERS_TIMEOUT' || /timeout/i.test(error.message);
      // A timeout took at least the timeout; an error (refused, reset) has no latency to record.
      options.onRecord({ atMs: Date.now(), latencyMs: timeout ? options.timeoutMs : null, outcome: timeout ? 'timeout' : 'error' });
    });
  }

  stop(): Promise<PressureSummary> {
    this.instance.stop();
    return this.result;
  }
}
