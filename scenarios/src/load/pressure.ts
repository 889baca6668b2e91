// Closed-loop pressure: N connections, each sending its next request only after the previous
// answer. That is how most load tools behave and exactly why their latency hides stalls
// (coordinated omission): while the service is stalled, the tool stops sending. Its figures are
// reported as "pressure (closed loop)", never as open-loop latency.
//
// A stream's `timeoutMs` is a deadline per request, recorded as a timeout with its latency
// (>= the timeout). autocannon (pressure-autocannon.ts) does that from 1 s up and is cheap per
// request; under 1 s, which it refuses, Node's http client does (pressure-http.ts). Before,
// autocannon got the timeout rounded up to whole seconds and its timeouts were recorded as
// untimed errors: a 300 ms timeout became 1 s and a phase of timeouts read "P99: no data".
import { AUTOCANNON_MIN_TIMEOUT_MS, AutocannonPressure } from './pressure-autocannon.js';
import { HttpPressure } from './pressure-http.js';

export interface PressureRecord {
  /** Epoch ms when the request ended. */
  atMs: number;
  /** From the send; null for a transport error (refused, reset), whose duration says nothing and 0 ms would flatter the P99. */
  latencyMs: number | null;
  outcome: 'ok' | 'error' | 'timeout';
}

export interface PressureOptions {
  url: string;
  method: 'GET' | 'POST';
  body?: string;
  /** Concurrent connections, each with one request in flight (>= 1). */
  connections: number;
  /** The stream stops sending after this; stop() ends it earlier. */
  durationSeconds: number;
  /** A request unanswered this long after its send (ms, sub-millisecond precision not promised) is destroyed and recorded as a timeout. */
  timeoutMs: number;
  onRecord: (record: PressureRecord) => void;
}

export interface PressureSummary {
  requests: number;
  /** Requests that ended without an answer, timeouts not included. */
  errors: number;
  timeouts: number;
  non2xx: number;
  /** P99 (ms, closed loop) over answered and timed-out requests, a timeout at its own latency. */
  p99Ms: number;
}

export class PressureStream {
  readonly result: Promise<PressureSummary>;
  readonly #engine: AutocannonPressure | HttpPressure;

  constructor(options: PressureOptions) {
    this.#engine = options.timeoutMs >= AUTOCANNON_MIN_TIMEOUT_MS ? new AutocannonPressure(options) : new HttpPressure(options);
    this.result = this.#engine.result;
  }

  /** Stops sending and resolves with the stream's summary. */
  stop(): Promise<PressureSummary> {
    return this.#engine.stop();
  }
}
