// Closed-loop pressure on Node's http client, for sub-second timeouts: autocannon refuses a
// timeout under 1 s. Every request it sends ends in exactly one record: a response with its
// latency from the send, a timeout at its deadline with the time it took (>= the timeout), or a
// transport error (refused, reset), untimed. It costs the runner ~4x autocannon's CPU per
// request (docs/scenarios.md), so it is used only where autocannon cannot do the job.
import http from 'node:http';
import { build } from 'hdr-histogram-js';
import { armDeadline } from './deadline.js';
import type { PressureOptions, PressureRecord, PressureSummary } from './pressure.js';

/** After a connection error the next request waits this long, so a service that is down is not hammered in a hot loop. */
const ERROR_PAUSE_MS = 10;

export class HttpPressure {
  readonly result: Promise<PressureSummary>;
  readonly #options: PressureOptions;
  readonly #agent: http.Agent;
  readonly #inFlight = new Set<http.ClientRequest>();
  readonly #latencies = build();
  readonly #counts = { requests: 0, errors: 0, timeouts: 0, non2xx: 0 };
  readonly #endAtMs: number;
  #stopped = false;

  constructor(options: PressureOptions) {
    this.#options = options;
    this.#endAtMs = Date.now() + options.durationSeconds * 1000;
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
    const loops = Array.from({ length: options.connections }, () => this.#loop());
    this.result = Promise.all(loops)
      .then(() => ({ ...this.#counts, p99Ms: this.#latencies.totalCount > 0 ? this.#latencies.getValueAtPercentile(99) / 1000 : 0 }))
      .finally(() => this.#agent.destroy());
    this.result.catch(() => {});
  }

  /** Stops sending; a request still in flight is abandoned (destroyed, not recorded). */
  stop(): Promise<PressureSummary> {
    this.#stopped = true;
    for (const req of this.#inFlight) req.destroy();
    return this.result;
  }

  async #loop(): Promise<void> {
    while (!this.#stopped && Date.now() < this.#endAtMs) {
      const outcome = await this.#send();
      if (outcome === 'error') await new Promise((r) => setTimeout(r, ERROR_PAUSE_MS));
    }
  }

  #send(): Promise<PressureRecord['outcome'] | 'abandoned'> {
    const { url, method, body, timeoutMs } = this.#options;
    const headers: Record<string, string> =
      body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) };
    return new Promise((resolve) => {
      const sentMs = performance.now();
      let done = false;
      const finish = (outcome: PressureRecord['outcome'], status?: number): void => {
        if (done) return;
        done = true;
        deadline.clear();
        this.#inFlight.delete(req);
        if (this.#stopped) {
          resolve('abandoned');
          return;
        }
        // A response (any status) and a timeout have a duration; a transport error has none.
        const latencyMs = outcome === 'timeout' || status !== undefined ? performance.now() - sentMs : null;
        this.#counts.requests += 1;
        if (outcome === 'error' && status === undefined) this.#counts.errors += 1;
        if (outcome === 'timeout') this.#counts.timeouts += 1;
        if (status !== undefined && (status < 200 || status >= 300)) this.#counts.non2xx += 1;
        if (latencyMs !== null) this.#latencies.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
        this.#options.onRecord({ atMs: Date.now(), latencyMs, outcome });
        resolve(outcome);
      };
      const req = http.request(url, { agent: this.#agent, method, headers }, (res) => {
        const status = res.statusCode ?? 0;
        res.on('end', () => finish(status >= 200 && status < 400 ? 'ok' : 'error', status));
        res.on('error', () => finish('error'));
        res.resume();
      });
      const deadline = armDeadline(
        sentMs,
        timeoutMs,
        () => performance.now(),
        () => {
          finish('timeout');
          req.destroy();
        },
      );
      this.#inFlight.add(req);
      req.on('error', () => finish('error'));
      req.end(body);
    });
  }
}
