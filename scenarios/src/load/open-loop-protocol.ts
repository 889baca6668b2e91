// Messages between the runner and an open-loop worker. Records travel as flat Float64Arrays
// of RECORD_WIDTH numbers each (transferred, not copied): intended send time (epoch ms),
// latency from the intended time (ms), outcome, and send-schedule error (ms): the actual send
// time is intended + error.

export const RECORD_WIDTH = 4;
export const OUTCOME_OK = 0;
export const OUTCOME_ERROR = 1;
export const OUTCOME_TIMEOUT = 2;

export interface RateSegment {
  /** Offset from the stream's start, ms. */
  fromMs: number;
  ratePerSecond: number;
}

/** One request of a stream's list, over the stream's own path, query, headers and body. */
export interface VariantConfig {
  /** Path and query string, e.g. "/api/orders?id=7" (default: those of the stream's `url`). */
  path?: string;
  /** Added to the stream's `headers`; a header of the same name (any case) replaces the stream's. */
  headers?: Record<string, string>;
  /** Replaces the stream's `body` (sent as application/json unless a Content-Type header says otherwise). */
  body?: string;
}

export interface OpenLoopConfig {
  /** With the query string, if any. */
  url: string;
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  /** One body for every request (sent as application/json). */
  body?: string;
  /** Bodies taken in turn (`rotate`: request k gets values[k mod n]) or drawn with a seeded generator (`sample`). */
  bodies?: { values: string[]; pick: 'rotate' | 'sample'; seed: number };
  /**
   * Requests taken in turn (`rotate`: request k is values[k mod n]) or drawn with a seeded
   * generator (`sample`). Not with `bodies` (which is the same for bodies only).
   */
  variants?: { values: VariantConfig[]; pick: 'rotate' | 'sample'; seed: number };
  /** Extra request headers (the sender's own framing and X-Request-Start are not among them). */
  headers?: Record<string, string>;
  /**
   * Instead of `segments`: the exact send times, as offsets from the start (ms, ascending); a
   * burst is several equal offsets. The stream ends after the last one is answered.
   */
  instantsMs?: number[];
  timeoutMs: number;
  durationMs: number;
  segments: RateSegment[];
  /**
   * Keep-alive sockets opened before the schedule starts, with GETs of `path` on the same origin
   * (a cheap route, not the one under test). See open-loop-worker.ts for why.
   */
  warmup?: { path: string; sockets: number };
  /**
   * `keep-alive` (default): reuse sockets, the warm client. `new`: a new TCP connection for each
   * request, closed after its answer (`Connection: close`): the cold client, as load balancers
   * without keep-alive, health checkers and kubelet probes connect. `warmup` is ignored then.
   */
  connection?: 'keep-alive' | 'new';
  /** Set by OpenLoopStream for each of its sender threads: this one sends request i when i mod `of` = `index`. */
  share?: { index: number; of: number };
}

export type WorkerCommand = { type: 'start'; startEpochMs: number } | { type: 'stop' };

export type WorkerEvent =
  | { type: 'ready'; openSockets: number }
  | { type: 'records'; records: Float64Array }
  | { type: 'done'; connectionsOpened: number };
