// The scenario file format. A scenario is data: phases that set faults and run load, and
// expectations about what the signals must show. `defineScenario` only gives type checking;
// the runner validates the object again when it loads the file (validate.ts).
import type { SignalId } from './signals.js';

/** Flat parameters of a fault or mitigation, sent as JSON to PUT /admin/faults/:name. */
export type ToggleParams = Record<string, string | number | boolean | string[]>;

export type HttpMethod = 'GET' | 'POST';

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
}

export type LoadStream = PressureStream | RampStream;

export interface Phase {
  name: string;
  durationSeconds: number;
  /** Seconds at the start of the phase left out of its summary, while the change takes hold. Default 1 (0 for phases of 2 s or less). */
  settleSeconds?: number;
  /** Faults switched on for this phase (anything on in the previous phase and absent here is switched off). */
  faults?: Record<string, ToggleParams>;
  mitigations?: Record<string, ToggleParams>;
  streams?: LoadStream[];
  /** Marks the phase whose start is "fault onset" for the lead-time table (default: the first phase with a fault or a ramp). */
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
  /** How the phase is summarised; default depends on the signal (see signals.ts). */
  stat?: 'p99' | 'max' | 'mean' | 'min' | 'ratio';
  above?: Bound;
  below?: Bound;
  /** One sentence for the report: why this should hold. */
  why?: string;
}

/**
 * Lead-time expectation: `leads` crosses its threshold (from below) at least `bySeconds` before
 * `before` does. Both must cross; a `before` signal that never does fails the expectation.
 */
export interface LeadExpectation {
  leads: SignalId;
  before: SignalId;
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
}

export interface Scenario {
  name: string;
  title: string;
  description: string;
  /** The guide page, relative to scenarios/guides. */
  guide?: string;
  probe?: ProbeSpec;
  phases: Phase[];
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
