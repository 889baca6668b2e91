// The scenario file format. A scenario is data: phases that set faults and run load, and
// expectations about what the signals must show. `defineScenario` only gives type checking;
// the runner validates the object again when it loads the file (validate.ts).
import type { SignalId } from './signals.js';

/** Flat parameters of a fault or mitigation, sent as JSON to PUT /admin/faults/:name. */
export type ToggleParams = Record<string, string | number | boolean | string[]>;

/** Pressure and ramp streams: GET or POST. Rate and burst streams take any of HTTP_METHODS. */
export type HttpMethod = 'GET' | 'POST';
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type AnyHttpMethod = (typeof HTTP_METHODS)[number];

export interface ProbeSpec {
  /** A light route that no fault targets: the innocent bystander. Default `/api/ping`. */
  route?: string;
  /** Requests per second, sent on a fixed schedule whatever the service does. Default 50. */
  ratePerSecond?: number;
  /** A request still unanswered after this is counted as a timeout, with its latency. Default 5000. */
  timeoutMs?: number;
  /** The client-side SLO on probe P99: the lead-time analysis measures every signal against its breach. Default 100. */
  sloMs?: number;
}

/**
 * The cold client population: the same kind of open-loop probe, but every request opens a new
 * TCP connection (closed after the answer), as load balancers without keep-alive, health
 * checkers and kubelet probes connect. It runs in every scenario, next to the warm probe.
 */
export interface ColdProbeSpec {
  /** Default: the warm probe's route. */
  route?: string;
  /** Requests (and new connections) per second. Default 5. */
  ratePerSecond?: number;
  /** A request still unanswered after this is counted as a timeout, with its latency. Default 10000. */
  timeoutMs?: number;
  /** The client-side SLO on the cold probe's P99 (its own breach time in the lead-time table). Default: the warm probe's. */
  sloMs?: number;
}

/**
 * A kubelet-style liveness probe (HTTP GET, a new connection each time, success = status
 * 200–399 within the timeout) sent during the run; the report says when it would have failed
 * and whether the pod would have been restarted. Field names and defaults are Kubernetes'.
 */
export interface LivenessSpec {
  /** Default `/health`. */
  route?: string;
  /** Whole seconds, at least 1. Default 1. */
  timeoutSeconds?: number;
  /** Whole seconds between probes, at least 1. Default 10. */
  periodSeconds?: number;
  /** Consecutive failures that restart the pod. Default 3. */
  failureThreshold?: number;
}

export interface PressureStream {
  kind: 'pressure';
  name?: string;
  route: string;
  method?: HttpMethod;
  /** JSON body for POST routes. */
  body?: unknown;
  /** Closed loop: each connection sends its next request only after the previous answer. */
  connections: number;
  timeoutMs?: number;
}

export interface RampStream {
  kind: 'ramp';
  name?: string;
  route: string;
  method?: HttpMethod;
  body?: unknown;
  /** Open loop: the rate starts here and rises by `stepRate` every `stepSeconds`. */
  startRate: number;
  stepRate: number;
  stepSeconds: number;
  maxRate?: number;
  timeoutMs?: number;
  /**
   * The stream's own client-side SLO on its P99 (from the intended send time): the threshold of its
   * row in the lead-time table. Default: the rampP99 threshold (100 ms unless `thresholds.rampP99`).
   */
  sloMs?: number;
}

/**
 * Bodies sent in turn: `rotate` takes them in order (request k gets values[k mod n]), `sample`
 * draws one per request from a pseudo-random sequence seeded with `seed` (the same seed sends
 * the same sequence). Each value is sent as JSON.
 */
export interface BodyList {
  values: unknown[];
  pick: 'rotate' | 'sample';
  /** Default 1. */
  seed?: number;
}

/**
 * One request of a list: its headers, query parameters and body, over the stream's own (a header
 * or query parameter of the same name replaces the stream's; a body replaces the stream's body).
 */
export interface RequestVariant {
  headers?: Record<string, string>;
  query?: Record<string, string>;
  /** A JSON body (not with GET or HEAD). */
  body?: unknown;
}

/**
 * Requests that differ from one to the next, as an incident's traffic does (customers, tokens,
 * payloads): `rotate` takes them in order (request k gets values[k mod n]), `sample` draws one
 * per request from a pseudo-random sequence seeded with `seed` (the same seed sends the same
 * sequence).
 */
export interface VariantList {
  values: RequestVariant[];
  pick: 'rotate' | 'sample';
  /** Default 1. */
  seed?: number;
}

/** What every request of a rate or burst stream carries, besides the route. */
export interface RequestShape {
  name?: string;
  /** Path, e.g. "/api/orders"; the query string goes in `query`. */
  route: string;
  /** Default GET. */
  method?: AnyHttpMethod;
  /** Extra request headers (not Host, Connection, Content-Length, Transfer-Encoding or X-Request-Start: the sender sets those). */
  headers?: Record<string, string>;
  /** Query string parameters, appended to the route. */
  query?: Record<string, string>;
  /** One JSON body for every request, or a list rotated or sampled (not with GET or HEAD). */
  body?: unknown;
  bodies?: BodyList;
  /** Per-request headers, query and body, rotated or sampled (not with `bodies`). */
  variants?: VariantList;
  timeoutMs?: number;
}

/**
 * Open loop at a constant arrival rate: request k is due at start + k / ratePerSecond, whatever
 * the service does (no coordinated omission). From 0.01/s (one request every 100 s).
 */
export interface RateStream extends RequestShape {
  kind: 'rate';
  ratePerSecond: number;
  /**
   * The stream's own client-side SLO on its P99 (from the intended send time): the threshold of its
   * row in the lead-time table. Default: the rampP99 threshold (100 ms unless `thresholds.rampP99`).
   */
  sloMs?: number;
}

/** `count` requests all due at `atSecond` (from the start of the stream's phase, or of its first phase); count 1 is a single request. */
export interface BurstStream extends RequestShape {
  kind: 'burst';
  atSecond: number;
  count: number;
  /**
   * The stream's own client-side SLO on its P99 (from the intended send time): the threshold of its
   * row in the lead-time table. Default: the rampP99 threshold (100 ms unless `thresholds.rampP99`).
   */
  sloMs?: number;
}

export type LoadStream = PressureStream | RampStream | RateStream | BurstStream;

/**
 * A stream declared once for the scenario, running from the start of phase `from` to the end of
 * phase `to` (default: the whole run) without restarting at phase boundaries.
 */
export type ScenarioStream = (RateStream | BurstStream) & { phases?: { from: string; to: string } };

export interface Phase {
  name: string;
  durationSeconds: number;
  /** Seconds at the start of the phase left out of its summary, while the change takes hold. Default 1 (0 for phases of 2 s or less). */
  settleSeconds?: number;
  /** Faults switched on for this phase (anything on in the previous phase and absent here is switched off). */
  faults?: Record<string, ToggleParams>;
  mitigations?: Record<string, ToggleParams>;
  streams?: LoadStream[];
  /**
   * Marks the phase whose start is "onset" for the lead-time table. Default: the first phase
   * that switches a fault on; a scenario with neither has no onset, and its lead-time table
   * counts first crossings from the start of the run.
   */
  onset?: boolean;
}

/** Compares with another phase's summary of the same signal, e.g. `{ phase: 'fault', factor: 0.5 }`. */
export interface RelativeBound {
  phase: string;
  factor: number;
}

export type Bound = number | RelativeBound;

export interface ThresholdExpectation {
  phase: string;
  signal: SignalId;
  /**
   * Only with signal `rampP99` or `errorRate`: the figure of this one named stream (a rate, burst
   * or ramp stream), instead of all open-loop streams (rampP99) or all clients (errorRate).
   */
  stream?: string;
  /** How the phase is summarised; default depends on the signal (see signals.ts). */
  stat?: 'p99' | 'max' | 'mean' | 'min' | 'ratio';
  above?: Bound;
  below?: Bound;
  /** One sentence for the report: why this should hold. */
  why?: string;
}

/** A row of the lead-time table: a signal, or one named load stream's P99 (`{ stream: 'storefront' }`). */
export type LeadSubject = SignalId | { stream: string };

/**
 * Lead-time expectation: `leads` crosses its threshold (from below) at least `bySeconds` before
 * `before` does. Both must cross; a `before` signal that never does fails the expectation.
 */
export interface LeadExpectation {
  leads: LeadSubject;
  before: LeadSubject;
  bySeconds?: number;
  /** Pass also when `before` has data and never crosses (the leading signal warned of something that never came). */
  passIfLaterNeverCrosses?: boolean;
  why?: string;
}

export type Expectation = ThresholdExpectation | LeadExpectation;

export interface PhaseOverride {
  durationSeconds?: number;
  settleSeconds?: number;
  streams?: LoadStream[];
}

/** The `--quick` profile: the same scenario, shorter, for CI. */
export interface QuickProfile {
  phases?: Record<string, PhaseOverride>;
  probe?: ProbeSpec;
  coldProbe?: ColdProbeSpec;
  liveness?: LivenessSpec;
}

export interface Scenario {
  name: string;
  title: string;
  description: string;
  /** The guide page, relative to scenarios/guides. */
  guide?: string;
  /** The warm client population: keep-alive sockets opened before the run. */
  probe?: ProbeSpec;
  /** The cold client population: a new connection per request. */
  coldProbe?: ColdProbeSpec;
  liveness?: LivenessSpec;
  phases: Phase[];
  /** Rate and burst streams that run across phases (each phase's `streams` start and stop with it). */
  streams?: ScenarioStream[];
  expectations: Expectation[];
  /** Lead-time thresholds overriding the defaults in signals.ts. */
  thresholds?: Partial<Record<SignalId, number>>;
  quick?: QuickProfile;
}

/** Identity at run time; gives scenario files type checking and editor completion. */
export function defineScenario(scenario: Scenario): Scenario {
  return scenario;
}

export function isLeadExpectation(expectation: Expectation): expectation is LeadExpectation {
  return 'leads' in expectation;
}
