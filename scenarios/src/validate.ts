// Validates a scenario object at load time. TypeScript checks catalogue files when they are
// compiled, but a user's file can be plain JS, stale or hand-edited: every problem is
// reported with the file, the field path, what was wrong and what is allowed.
import { checkJsonNumber, describeNumberRule } from '@runtime-lab/values';
import type {
  BodyList,
  RequestVariant,
  VariantList,
  BurstStream,
  Expectation,
  LeadSubject,
  RampStream,
  RateStream,
  RequestShape,
  ScenarioStream,
  LoadStream,
  Phase,
  PhaseOverride,
  ColdProbeSpec,
  LivenessSpec,
  ProbeSpec,
  QuickProfile,
  Scenario,
  ToggleParams,
} from './define.js';
import { HTTP_METHODS } from './define.js';
import { ScenarioError } from './errors.js';
import { SIGNAL_IDS, isSignalId } from './signals.js';

const MAX_PHASES = 20;
const MAX_PHASE_SECONDS = 600;
/** Every run is bounded: a scenario longer than this is refused. */
export const MAX_RUN_SECONDS = 1800;

type Obj = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return String(value);
  return `${typeof value} ${String(value)}`;
}

class Checker {
  constructor(readonly file: string) {}

  fail(field: string, problem: string, allowed?: string): never {
    throw new ScenarioError(this.file, field, problem, allowed);
  }

  object(value: unknown, field: string, keys: readonly string[]): Obj {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(field, `expected an object, got ${describe(value)}`, `an object with ${keys.join(', ')}`);
    }
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) this.fail(field ? `${field}.${key}` : key, 'unknown field', keys.join(', '));
    }
    return value as Obj;
  }

  string(value: unknown, field: string, pattern?: RegExp, allowed = 'a non-empty string'): string {
    if (typeof value !== 'string' || value.trim() === '') this.fail(field, `expected a string, got ${describe(value)}`, allowed);
    if (pattern && !pattern.test(value)) this.fail(field, `${describe(value)} is not valid`, allowed);
    return value;
  }

  /** By the lab's one number rule (@runtime-lab/values): NaN, Infinity, fractions for integers and out-of-range values fail; -0 is 0. */
  number(value: unknown, field: string, min: number, max: number, integer = false): number {
    const rule = { integer, min, max };
    const reading = checkJsonNumber(value, rule);
    if (!reading.ok)
      this.fail(field, typeof value === 'number' ? reading.problem : `expected a number, got ${describe(value)}`, describeNumberRule(rule));
    return reading.value;
  }

  oneOf<T extends string>(value: unknown, field: string, options: readonly T[]): T {
    if (typeof value !== 'string' || !options.includes(value as T)) {
      this.fail(field, `${describe(value)} is not allowed`, options.join(', '));
    }
    return value as T;
  }

  array(value: unknown, field: string, min: number, max: number, what: string): unknown[] {
    if (!Array.isArray(value)) this.fail(field, `expected an array, got ${describe(value)}`, `an array of ${what}`);
    if (value.length < min || value.length > max) {
      this.fail(field, `has ${value.length} entries`, `${min} to ${max} ${what}`);
    }
    return value;
  }
}

const ROUTE = /^\/[A-Za-z0-9/_\-.]*$/;
const ROUTE_ALLOWED = 'a path starting with "/", e.g. "/api/orders"';
const TOGGLE_NAME = /^[a-z][a-z0-9-]*$/;

function checkProbe(c: Checker, value: unknown, field: string): ProbeSpec {
  const o = c.object(value, field, ['route', 'ratePerSecond', 'timeoutMs', 'sloMs']);
  const probe: ProbeSpec = {};
  if (o.route !== undefined) probe.route = c.string(o.route, `${field}.route`, ROUTE, ROUTE_ALLOWED);
  if (o.ratePerSecond !== undefined) probe.ratePerSecond = c.number(o.ratePerSecond, `${field}.ratePerSecond`, 1, 1000);
  if (o.timeoutMs !== undefined) probe.timeoutMs = c.number(o.timeoutMs, `${field}.timeoutMs`, 10, 30000);
  if (o.sloMs !== undefined) probe.sloMs = c.number(o.sloMs, `${field}.sloMs`, 1, 30000);
  return probe;
}

/** Every cold request is a connection the service must accept: a lower ceiling than the warm probe's. */
const MAX_COLD_RATE = 200;

function checkColdProbe(c: Checker, value: unknown, field: string): ColdProbeSpec {
  // The warm probe's fields: both are open-loop probes, only the connection differs.
  const probe = checkProbe(c, value, field);
  if (probe.ratePerSecond !== undefined && probe.ratePerSecond > MAX_COLD_RATE) {
    c.fail(
      `${field}.ratePerSecond`,
      `got ${probe.ratePerSecond} (above ${MAX_COLD_RATE})`,
      `a number from 1 to ${MAX_COLD_RATE} (each request opens a connection)`,
    );
  }
  return probe;
}

function checkLiveness(c: Checker, value: unknown, field: string): LivenessSpec {
  const o = c.object(value, field, ['route', 'timeoutSeconds', 'periodSeconds', 'failureThreshold']);
  const out: LivenessSpec = {};
  // Kubernetes takes whole seconds and counts, each at least 1.
  if (o.route !== undefined) out.route = c.string(o.route, `${field}.route`, ROUTE, ROUTE_ALLOWED);
  if (o.timeoutSeconds !== undefined) out.timeoutSeconds = c.number(o.timeoutSeconds, `${field}.timeoutSeconds`, 1, 60, true);
  if (o.periodSeconds !== undefined) out.periodSeconds = c.number(o.periodSeconds, `${field}.periodSeconds`, 1, 600, true);
  if (o.failureThreshold !== undefined) out.failureThreshold = c.number(o.failureThreshold, `${field}.failureThreshold`, 1, 100, true);
  return out;
}

function checkToggles(c: Checker, value: unknown, field: string): Record<string, ToggleParams> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    c.fail(field, `expected an object, got ${describe(value)}`, 'an object mapping a fault name to its parameters');
  }
  const out: Record<string, ToggleParams> = {};
  for (const [name, params] of Object.entries(value)) {
    c.string(name, `${field}.${name}`, TOGGLE_NAME, 'a fault name in kebab-case, e.g. "blocking"');
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      c.fail(`${field}.${name}`, `expected an object of parameters, got ${describe(params)}`, 'an object (use {} for defaults)');
    }
    const flat: ToggleParams = {};
    for (const [key, param] of Object.entries(params)) {
      const path = `${field}.${name}.${key}`;
      const ok =
        typeof param === 'string' ||
        typeof param === 'boolean' ||
        (typeof param === 'number' && Number.isFinite(param)) ||
        (Array.isArray(param) && param.every((p) => typeof p === 'string'));
      if (!ok) c.fail(path, `${describe(param)} is not a flat parameter`, 'a string, a finite number, a boolean or an array of strings');
      flat[key] = param as ToggleParams[string];
    }
    out[name] = flat;
  }
  return out;
}

/** Lowest constant rate: one request every 100 s. */
export const MIN_RATE_PER_SECOND = 0.01;
export const MAX_RATE_PER_SECOND = 5000;
const MAX_BURST = 1000;
const MAX_BODIES = 1000;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the sender sets itself (framing, the connection, its own send time). */
const RESERVED_HEADERS = ['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'x-request-start'];

function checkStringMap(
  c: Checker,
  value: unknown,
  field: string,
  what: string,
  keyOk: (key: string) => string | undefined,
): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    c.fail(field, `expected an object, got ${describe(value)}`, `an object of ${what}`);
  const entries = Object.entries(value);
  if (entries.length > 32) c.fail(field, `has ${entries.length} entries`, `at most 32 ${what}`);
  const out: Record<string, string> = {};
  for (const [key, v] of entries) {
    const problem = keyOk(key);
    if (problem) c.fail(`${field}.${key}`, problem, what);
    if (typeof v !== 'string') c.fail(`${field}.${key}`, `expected a string, got ${describe(v)}`, 'a string value');
    if (/[\r\n\0]/.test(v) || v.length > 4096)
      c.fail(`${field}.${key}`, 'has a line break, a NUL or over 4096 characters', 'one line of at most 4096 characters');
    out[key] = v;
  }
  return out;
}

function checkBodies(c: Checker, value: unknown, field: string): BodyList {
  const o = c.object(value, field, ['values', 'pick', 'seed']);
  const values = c.array(o.values, `${field}.values`, 1, MAX_BODIES, 'JSON bodies');
  values.forEach((v, i) => {
    if (v === undefined) c.fail(`${field}.values[${i}]`, 'is undefined', 'a JSON value');
  });
  return { values, ...checkPick(c, o, field) };
}

/** How a list is taken: `pick` and its optional `seed`. */
function checkPick(c: Checker, o: Obj, field: string): { pick: 'rotate' | 'sample'; seed?: number } {
  const pick = c.oneOf(o.pick, `${field}.pick`, ['rotate', 'sample'] as const);
  return o.seed === undefined ? { pick } : { pick, seed: c.number(o.seed, `${field}.seed`, 0, 2 ** 32 - 1, true) };
}

const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

function checkHeaders(c: Checker, value: unknown, field: string): Record<string, string> {
  const headers = checkStringMap(c, value, field, 'header names and values', (key) => {
    if (!HEADER_NAME.test(key)) return 'is not a valid header name';
    if (RESERVED_HEADERS.includes(key.toLowerCase())) return 'is set by the sender';
    return undefined;
  });
  for (const [key, v] of Object.entries(headers)) {
    if (!HEADER_VALUE.test(v))
      c.fail(`${field}.${key}`, 'has a character outside printable ASCII', 'printable ASCII, spaces and tabs (encode anything else)');
  }
  return headers;
}

function checkQuery(c: Checker, value: unknown, field: string): Record<string, string> {
  return checkStringMap(c, value, field, 'query parameters (name: value)', (key) => (key === '' ? 'is empty' : undefined));
}

function checkVariants(c: Checker, value: unknown, field: string, bodyless: boolean, method: string): VariantList {
  const o = c.object(value, field, ['values', 'pick', 'seed']);
  const values = c.array(o.values, `${field}.values`, 1, MAX_BODIES, 'request variants ({ headers?, query?, body? })');
  return {
    values: values.map((raw, i): RequestVariant => {
      const at = `${field}.values[${i}]`;
      const v = c.object(raw, at, ['headers', 'query', 'body']);
      const variant: RequestVariant = {};
      if (v.headers !== undefined) variant.headers = checkHeaders(c, v.headers, `${at}.headers`);
      if (v.query !== undefined) variant.query = checkQuery(c, v.query, `${at}.query`);
      if (v.body !== undefined) {
        if (bodyless) c.fail(`${at}.body`, `a body with method ${method}`, 'a body with POST, PUT, PATCH, DELETE or OPTIONS');
        variant.body = v.body;
      }
      return variant;
    }),
    ...checkPick(c, o, field),
  };
}

/** The request fields of a rate or burst stream. */
function checkRequestShape<T extends RequestShape>(c: Checker, o: Obj, field: string, stream: T): T {
  if (o.name !== undefined) stream.name = c.string(o.name, `${field}.name`, TOGGLE_NAME, 'kebab-case, e.g. "orders"');
  if (o.method !== undefined) stream.method = c.oneOf(o.method, `${field}.method`, HTTP_METHODS);
  if (o.headers !== undefined) stream.headers = checkHeaders(c, o.headers, `${field}.headers`);
  if (o.query !== undefined) stream.query = checkQuery(c, o.query, `${field}.query`);
  const bodyless = stream.method === undefined || stream.method === 'GET' || stream.method === 'HEAD';
  const method = stream.method ?? 'GET (the default)';
  if (o.body !== undefined && o.bodies !== undefined) c.fail(`${field}.bodies`, 'given with "body"', 'either one body or a list of bodies');
  if (o.bodies !== undefined && o.variants !== undefined)
    c.fail(`${field}.variants`, 'given with "bodies"', 'either a list of bodies or a list of variants (a variant may carry a body)');
  if ((o.body !== undefined || o.bodies !== undefined) && bodyless) {
    c.fail(
      `${field}.${o.body !== undefined ? 'body' : 'bodies'}`,
      `a body with method ${method}`,
      'a body with POST, PUT, PATCH, DELETE or OPTIONS',
    );
  }
  if (o.body !== undefined) stream.body = o.body;
  if (o.bodies !== undefined) stream.bodies = checkBodies(c, o.bodies, `${field}.bodies`);
  if (o.variants !== undefined) stream.variants = checkVariants(c, o.variants, `${field}.variants`, bodyless, method);
  if (o.timeoutMs !== undefined) stream.timeoutMs = c.number(o.timeoutMs, `${field}.timeoutMs`, 10, 30000);
  return stream;
}

const REQUEST_FIELDS = ['kind', 'name', 'route', 'method', 'headers', 'query', 'body', 'bodies', 'variants', 'timeoutMs'];

/** An open-loop stream's own SLO (ms), the threshold of its lead-time row: the same range as the probe's. */
function checkStreamSlo<T extends { sloMs?: number }>(c: Checker, o: Obj, field: string, stream: T): T {
  if (o.sloMs !== undefined) stream.sloMs = c.number(o.sloMs, `${field}.sloMs`, 1, 30000);
  return stream;
}

/** A rate or burst stream; `extra` are further fields allowed (a scenario-level stream's `phases`). */
function checkOpenLoop(c: Checker, value: unknown, field: string, kind: 'rate' | 'burst', extra: string[] = []): RateStream | BurstStream {
  if (kind === 'rate') {
    const o = c.object(value, field, [...REQUEST_FIELDS, 'ratePerSecond', 'sloMs', ...extra]);
    const stream: RateStream = {
      kind,
      route: c.string(o.route, `${field}.route`, ROUTE, ROUTE_ALLOWED),
      ratePerSecond: c.number(o.ratePerSecond, `${field}.ratePerSecond`, MIN_RATE_PER_SECOND, MAX_RATE_PER_SECOND),
    };
    return checkStreamSlo(c, o, field, checkRequestShape(c, o, field, stream));
  }
  const o = c.object(value, field, [...REQUEST_FIELDS, 'atSecond', 'count', 'sloMs', ...extra]);
  const stream: BurstStream = {
    kind,
    route: c.string(o.route, `${field}.route`, ROUTE, ROUTE_ALLOWED),
    atSecond: c.number(o.atSecond, `${field}.atSecond`, 0, MAX_RUN_SECONDS),
    count: c.number(o.count, `${field}.count`, 1, MAX_BURST, true),
  };
  return checkStreamSlo(c, o, field, checkRequestShape(c, o, field, stream));
}

const STREAM_KINDS = ['pressure', 'ramp', 'rate', 'burst'] as const;

function checkStream(c: Checker, value: unknown, field: string): LoadStream {
  const kind = c.oneOf((value as Obj | null)?.kind, `${field}.kind`, STREAM_KINDS);
  if (kind === 'rate' || kind === 'burst') return checkOpenLoop(c, value, field, kind);
  const common = ['kind', 'name', 'route', 'method', 'body', 'timeoutMs'];
  if (kind === 'pressure') {
    const o = c.object(value, field, [...common, 'connections']);
    const stream: LoadStream = {
      kind,
      route: c.string(o.route, `${field}.route`, ROUTE, ROUTE_ALLOWED),
      connections: c.number(o.connections, `${field}.connections`, 1, 200, true),
    };
    return withCommon(c, o, field, stream);
  }
  // The ramp: "find where it breaks". A constant rate is a `rate` stream (stepRate 0 still works).
  const o = c.object(value, field, [...common, 'startRate', 'stepRate', 'stepSeconds', 'maxRate', 'sloMs']);
  const stream: RampStream = {
    kind,
    route: c.string(o.route, `${field}.route`, ROUTE, ROUTE_ALLOWED),
    startRate: c.number(o.startRate, `${field}.startRate`, 1, 2000),
    stepRate: c.number(o.stepRate, `${field}.stepRate`, 0, 2000),
    stepSeconds: c.number(o.stepSeconds, `${field}.stepSeconds`, 1, 600),
  };
  if (o.maxRate !== undefined) stream.maxRate = c.number(o.maxRate, `${field}.maxRate`, stream.startRate, 5000);
  return withCommon(c, o, field, checkStreamSlo(c, o, field, stream));
}

/** Scenario-level streams: rate or burst, each named, over a range of phases. */
function checkScenarioStreams(c: Checker, value: unknown, phases: Phase[]): ScenarioStream[] {
  const names = phases.map((p) => p.name);
  const streams = c.array(value, 'streams', 0, 8, 'rate or burst streams').map((raw, i): ScenarioStream => {
    const field = `streams[${i}]`;
    const kind = c.oneOf((raw as Obj | null)?.kind, `${field}.kind`, ['rate', 'burst'] as const);
    const stream: ScenarioStream = checkOpenLoop(c, raw, field, kind, ['phases']);
    if (stream.name === undefined) c.fail(`${field}.name`, 'is missing', 'a kebab-case name: a stream across phases is reported under it');
    const range = (raw as Obj).phases;
    if (range !== undefined) {
      const o = c.object(range, `${field}.phases`, ['from', 'to']);
      const from = c.oneOf(o.from, `${field}.phases.from`, names);
      const to = c.oneOf(o.to, `${field}.phases.to`, names);
      if (names.indexOf(to) < names.indexOf(from))
        c.fail(`${field}.phases.to`, `"${to}" comes before "${from}"`, `a phase from "${from}" on`);
      stream.phases = { from, to };
    }
    if (stream.kind === 'burst') {
      const span = spanSeconds(phases, stream.phases);
      if (stream.atSecond >= span)
        c.fail(
          `${field}.atSecond`,
          `${stream.atSecond} is not within the stream's ${span} s`,
          `0 to under ${span} (seconds from the start of its first phase)`,
        );
    }
    return stream;
  });
  streams.forEach((s, i) => {
    if (streams.findIndex((t) => t.name === s.name) !== i)
      c.fail(`streams[${i}].name`, `duplicate stream name "${s.name}"`, 'a distinct name per stream');
    for (const [pi, p] of phases.entries()) {
      for (const [ti, t] of (p.streams ?? []).entries()) {
        if (streamName(t, ti) === s.name)
          c.fail(`phases[${pi}].streams[${ti}].name`, `"${s.name}" is also a scenario-level stream`, 'a name no scenario-level stream has');
      }
    }
  });
  return streams;
}

/** Seconds from the start of phase `from` to the end of phase `to` (the whole run without a range). */
export function spanSeconds(phases: Pick<Phase, 'name' | 'durationSeconds'>[], range: { from: string; to: string } | undefined): number {
  const first = range ? phases.findIndex((p) => p.name === range.from) : 0;
  const last = range ? phases.findIndex((p) => p.name === range.to) : phases.length - 1;
  return phases.slice(first, last + 1).reduce((acc, p) => acc + p.durationSeconds, 0);
}

function withCommon<T extends LoadStream>(c: Checker, o: Obj, field: string, stream: T): T {
  if (o.name !== undefined) stream.name = c.string(o.name, `${field}.name`, TOGGLE_NAME, 'kebab-case, e.g. "orders"');
  if (o.method !== undefined) stream.method = c.oneOf(o.method, `${field}.method`, ['GET', 'POST'] as const);
  if (o.body !== undefined) {
    if (stream.method !== 'POST') c.fail(`${field}.body`, 'a body needs method "POST"', 'a body only with method: "POST"');
    stream.body = o.body;
  }
  if (o.timeoutMs !== undefined) stream.timeoutMs = c.number(o.timeoutMs, `${field}.timeoutMs`, 10, 30000);
  return stream;
}

function checkStreams(c: Checker, value: unknown, field: string): LoadStream[] {
  const streams = c.array(value, field, 0, 8, 'load streams').map((s, i) => checkStream(c, s, `${field}[${i}]`));
  const names = new Set<string>();
  streams.forEach((s, i) => {
    const name = streamName(s, i);
    if (names.has(name)) c.fail(`${field}[${i}].name`, `duplicate stream name "${name}"`, 'a distinct name per stream');
    names.add(name);
  });
  return streams;
}

/** The stream's label in metrics and reports: its name, else kind + index. */
export function streamName(stream: LoadStream, index: number): string {
  return stream.name ?? `${stream.kind}-${index + 1}`;
}

function checkPhase(c: Checker, value: unknown, field: string): Phase {
  const o = c.object(value, field, ['name', 'durationSeconds', 'settleSeconds', 'faults', 'mitigations', 'streams', 'onset']);
  const phase: Phase = {
    name: c.string(o.name, `${field}.name`, TOGGLE_NAME, 'kebab-case, e.g. "fault"'),
    durationSeconds: c.number(o.durationSeconds, `${field}.durationSeconds`, 1, MAX_PHASE_SECONDS, true),
  };
  if (o.settleSeconds !== undefined) {
    phase.settleSeconds = c.number(o.settleSeconds, `${field}.settleSeconds`, 0, Math.max(0, phase.durationSeconds - 1), true);
  }
  if (o.faults !== undefined) phase.faults = checkToggles(c, o.faults, `${field}.faults`);
  if (o.mitigations !== undefined) phase.mitigations = checkToggles(c, o.mitigations, `${field}.mitigations`);
  if (o.streams !== undefined) phase.streams = checkStreams(c, o.streams, `${field}.streams`);
  phase.streams?.forEach((stream, i) => {
    if (stream.kind === 'burst' && stream.atSecond >= phase.durationSeconds) {
      c.fail(
        `${field}.streams[${i}].atSecond`,
        `${stream.atSecond} is not within the phase's ${phase.durationSeconds} s`,
        `0 to under ${phase.durationSeconds} (seconds from the phase's start)`,
      );
    }
  });
  if (o.onset !== undefined) {
    if (typeof o.onset !== 'boolean') c.fail(`${field}.onset`, `expected a boolean, got ${describe(o.onset)}`, 'true or false');
    phase.onset = o.onset;
  }
  return phase;
}

function checkOverride(c: Checker, value: unknown, field: string, phase: Phase): PhaseOverride {
  const o = c.object(value, field, ['durationSeconds', 'settleSeconds', 'streams']);
  const out: PhaseOverride = {};
  if (o.durationSeconds !== undefined)
    out.durationSeconds = c.number(o.durationSeconds, `${field}.durationSeconds`, 1, MAX_PHASE_SECONDS, true);
  const duration = out.durationSeconds ?? phase.durationSeconds;
  if (o.settleSeconds !== undefined)
    out.settleSeconds = c.number(o.settleSeconds, `${field}.settleSeconds`, 0, Math.max(0, duration - 1), true);
  if (o.streams !== undefined) out.streams = checkStreams(c, o.streams, `${field}.streams`);
  return out;
}

function checkBound(c: Checker, value: unknown, field: string, phases: string[]): number | { phase: string; factor: number } {
  if (typeof value === 'number') return c.number(value, field, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  const o = c.object(value, field, ['phase', 'factor']);
  return { phase: c.oneOf(o.phase, `${field}.phase`, phases), factor: c.number(o.factor, `${field}.factor`, 0, 1000) };
}

/** Every stream name the scenario can report on: its scenario-level streams and each phase's. */
export function streamNamesOf(scenario: Pick<Scenario, 'phases' | 'streams'>): string[] {
  const names = new Set<string>((scenario.streams ?? []).map((s) => s.name as string));
  for (const phase of scenario.phases) {
    for (const [i, s] of (phase.streams ?? []).entries()) names.add(streamName(s, i));
  }
  return [...names];
}

/**
 * The SLO (ms) each named stream declares. A name used by several phase streams (one stream per
 * phase, reported as one) has one row in the lead-time table, so they must not disagree.
 */
export function streamSlosOf(scenario: Pick<Scenario, 'phases' | 'streams'>): Map<string, number> {
  const slos = new Map<string, number>();
  const declared: [string, LoadStream][] = [
    ...(scenario.streams ?? []).map((s): [string, LoadStream] => [s.name as string, s]),
    ...scenario.phases.flatMap((p) => (p.streams ?? []).map((s, i): [string, LoadStream] => [streamName(s, i), s])),
  ];
  for (const [name, stream] of declared) {
    if ('sloMs' in stream && stream.sloMs !== undefined && !slos.has(name)) slos.set(name, stream.sloMs);
  }
  return slos;
}

/** Phase streams sharing a name must agree on sloMs (or leave it out). */
function checkStreamSlosAgree(c: Checker, phases: Phase[]): void {
  const seen = new Map<string, { sloMs: number; field: string }>();
  phases.forEach((phase, pi) => {
    for (const [si, stream] of (phase.streams ?? []).entries()) {
      if (stream.kind === 'pressure' || stream.sloMs === undefined) continue;
      const name = streamName(stream, si);
      const field = `phases[${pi}].streams[${si}].sloMs`;
      const first = seen.get(name);
      if (!first) seen.set(name, { sloMs: stream.sloMs, field });
      else if (first.sloMs !== stream.sloMs)
        c.fail(
          field,
          `${stream.sloMs} differs from ${first.field} (${first.sloMs}) for the same stream "${name}"`,
          'one sloMs per stream name',
        );
    }
  });
}

/** A lead expectation's `leads` or `before`: a signal id, or `{ stream }` naming a load stream. */
function checkLeadSubject(c: Checker, value: unknown, field: string, streams: string[]): LeadSubject {
  if (typeof value === 'string' && isSignalId(value)) return value;
  const named = streams.length > 0 ? `, or { stream } with a stream of ${streams.join(', ')}` : '';
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    c.fail(field, `${describe(value)} is not allowed`, `a signal id (${SIGNAL_IDS.join(', ')})${named}`);
  const o = c.object(value, field, ['stream']);
  if (streams.length === 0)
    c.fail(`${field}.stream`, 'names a stream, but the scenario has no open-loop load streams (rate, burst, ramp)', 'a signal id');
  return { stream: c.oneOf(o.stream, `${field}.stream`, streams) };
}

const subjectKey = (s: LeadSubject): string => (typeof s === 'string' ? s : `stream ${s.stream}`);

/** Names of the open-loop streams (rate, burst, ramp): those with a per-second P99 of their own and a lead-time row. */
export function openLoopStreamNamesOf(scenario: Pick<Scenario, 'phases' | 'streams'>): string[] {
  const names = new Set<string>((scenario.streams ?? []).map((s) => s.name as string));
  for (const phase of scenario.phases) {
    for (const [i, s] of (phase.streams ?? []).entries()) if (s.kind !== 'pressure') names.add(streamName(s, i));
  }
  return [...names];
}

/** Signals an expectation can take for one stream. */
const STREAM_SIGNALS = ['rampP99', 'errorRate'] as const;

/**
 * `streams`: every named stream (a threshold expectation's `stream`); `leadStreams`: the open-loop
 * ones, which have a lead-time row a lead expectation can name.
 */
function checkExpectation(
  c: Checker,
  value: unknown,
  field: string,
  phases: string[],
  streams: string[],
  leadStreams: string[],
): Expectation {
  if (typeof value === 'object' && value !== null && 'leads' in value) {
    const o = c.object(value, field, ['leads', 'before', 'bySeconds', 'passIfLaterNeverCrosses', 'why']);
    const leads = checkLeadSubject(c, o.leads, `${field}.leads`, leadStreams);
    const before = checkLeadSubject(c, o.before, `${field}.before`, leadStreams);
    if (subjectKey(leads) === subjectKey(before))
      c.fail(`${field}.before`, `is the same as "leads" (${subjectKey(leads)})`, 'another signal or stream');
    const out: Expectation = { leads, before };
    if (o.bySeconds !== undefined) out.bySeconds = c.number(o.bySeconds, `${field}.bySeconds`, 0, MAX_RUN_SECONDS);
    if (o.passIfLaterNeverCrosses !== undefined) {
      if (typeof o.passIfLaterNeverCrosses !== 'boolean') {
        c.fail(`${field}.passIfLaterNeverCrosses`, `expected a boolean, got ${describe(o.passIfLaterNeverCrosses)}`, 'true or false');
      }
      out.passIfLaterNeverCrosses = o.passIfLaterNeverCrosses;
    }
    if (o.why !== undefined) out.why = c.string(o.why, `${field}.why`);
    return out;
  }
  const o = c.object(value, field, ['phase', 'signal', 'stream', 'stat', 'above', 'below', 'why']);
  const out: Expectation = {
    phase: c.oneOf(o.phase, `${field}.phase`, phases),
    signal: c.oneOf(o.signal, `${field}.signal`, SIGNAL_IDS),
  };
  if (o.stream !== undefined) {
    if (streams.length === 0) c.fail(`${field}.stream`, 'names a stream, but the scenario has no named load streams', 'no "stream" field');
    out.stream = c.oneOf(o.stream, `${field}.stream`, streams);
    if (!(STREAM_SIGNALS as readonly string[]).includes(out.signal)) {
      c.fail(`${field}.signal`, `"${out.signal}" is not measured per stream`, `with "stream": ${STREAM_SIGNALS.join(' or ')}`);
    }
  }
  if (o.stat !== undefined) out.stat = c.oneOf(o.stat, `${field}.stat`, ['p99', 'max', 'mean', 'min', 'ratio'] as const);
  if (o.above === undefined && o.below === undefined) {
    c.fail(field, 'states no bound', '"above" and/or "below": a number, or { phase, factor } relative to another phase');
  }
  if (o.above !== undefined) out.above = checkBound(c, o.above, `${field}.above`, phases);
  if (o.below !== undefined) out.below = checkBound(c, o.below, `${field}.below`, phases);
  if (o.why !== undefined) out.why = c.string(o.why, `${field}.why`);
  return out;
}

/** Validates `value` as read from `file`; returns a clean copy or throws a ScenarioError. */
export function validateScenario(value: unknown, file: string): Scenario {
  const c = new Checker(file);
  const o = c.object(value, '', [
    'name',
    'title',
    'description',
    'guide',
    'probe',
    'coldProbe',
    'liveness',
    'phases',
    'streams',
    'expectations',
    'thresholds',
    'quick',
  ]);
  const scenario: Scenario = {
    name: c.string(o.name, 'name', TOGGLE_NAME, 'kebab-case, e.g. "blocking"'),
    title: c.string(o.title, 'title'),
    description: c.string(o.description, 'description'),
    phases: [],
    expectations: [],
  };
  if (o.guide !== undefined) scenario.guide = c.string(o.guide, 'guide');
  if (o.probe !== undefined) scenario.probe = checkProbe(c, o.probe, 'probe');
  if (o.coldProbe !== undefined) scenario.coldProbe = checkColdProbe(c, o.coldProbe, 'coldProbe');
  if (o.liveness !== undefined) scenario.liveness = checkLiveness(c, o.liveness, 'liveness');
  scenario.phases = c.array(o.phases, 'phases', 1, MAX_PHASES, 'phases').map((p, i) => checkPhase(c, p, `phases[${i}]`));
  const names = scenario.phases.map((p) => p.name);
  names.forEach((name, i) => {
    if (names.indexOf(name) !== i) c.fail(`phases[${i}].name`, `duplicate phase name "${name}"`, 'a distinct name per phase');
  });
  const total = scenario.phases.reduce((acc, p) => acc + p.durationSeconds, 0);
  if (total > MAX_RUN_SECONDS) c.fail('phases', `add up to ${total} s`, `at most ${MAX_RUN_SECONDS} s in all`);
  if (o.streams !== undefined) scenario.streams = checkScenarioStreams(c, o.streams, scenario.phases);
  checkStreamSlosAgree(c, scenario.phases);
  const streams = streamNamesOf(scenario);
  const leadStreams = openLoopStreamNamesOf(scenario);
  scenario.expectations = c
    .array(o.expectations, 'expectations', 1, 50, 'expectations')
    .map((e, i) => checkExpectation(c, e, `expectations[${i}]`, names, streams, leadStreams));
  if (o.thresholds !== undefined) {
    const t = c.object(o.thresholds, 'thresholds', SIGNAL_IDS);
    scenario.thresholds = {};
    for (const [key, v] of Object.entries(t)) {
      if (isSignalId(key)) scenario.thresholds[key] = c.number(v, `thresholds.${key}`, 0, 1e9);
    }
  }
  if (o.quick !== undefined) {
    const q = c.object(o.quick, 'quick', ['phases', 'probe', 'coldProbe', 'liveness']);
    const quick: QuickProfile = {};
    if (q.probe !== undefined) quick.probe = checkProbe(c, q.probe, 'quick.probe');
    if (q.coldProbe !== undefined) quick.coldProbe = checkColdProbe(c, q.coldProbe, 'quick.coldProbe');
    if (q.liveness !== undefined) quick.liveness = checkLiveness(c, q.liveness, 'quick.liveness');
    if (q.phases !== undefined) {
      const phases = c.object(q.phases, 'quick.phases', names);
      quick.phases = {};
      for (const [name, override] of Object.entries(phases)) {
        const phase = scenario.phases.find((p) => p.name === name) as Phase;
        quick.phases[name] = checkOverride(c, override, `quick.phases.${name}`, phase);
      }
    }
    scenario.quick = quick;
    // A shorter quick profile must still hold every scenario-level burst.
    const short = applyQuickProfile(scenario);
    (scenario.streams ?? []).forEach((stream, i) => {
      const span = spanSeconds(short.phases, stream.phases);
      if (stream.kind === 'burst' && stream.atSecond >= span) {
        c.fail(
          `streams[${i}].atSecond`,
          `${stream.atSecond} is not within the stream's ${span} s under the quick profile`,
          `0 to under ${span}`,
        );
      }
    });
  }
  return scenario;
}

/** The scenario as run with `--quick`: phase durations and streams replaced by the quick profile. */
export function applyQuickProfile(scenario: Scenario): Scenario {
  const quick = scenario.quick;
  if (!quick) return scenario;
  return {
    ...scenario,
    probe: { ...scenario.probe, ...quick.probe },
    coldProbe: { ...scenario.coldProbe, ...quick.coldProbe },
    liveness: { ...scenario.liveness, ...quick.liveness },
    phases: scenario.phases.map((phase) => {
      const override = quick.phases?.[phase.name];
      if (!override) return phase;
      const merged: Phase = { ...phase };
      if (override.durationSeconds !== undefined) merged.durationSeconds = override.durationSeconds;
      if (override.settleSeconds !== undefined) merged.settleSeconds = override.settleSeconds;
      if (override.streams !== undefined) merged.streams = override.streams;
      if (merged.settleSeconds !== undefined && merged.settleSeconds >= merged.durationSeconds) {
        merged.settleSeconds = Math.max(0, merged.durationSeconds - 1);
      }
      return merged;
    }),
  };
}
