// Validates a scenario object at load time. TypeScript checks catalogue files when they are
// compiled, but a user's file can be plain JS, stale or hand-edited: every problem is
// reported with the file, the field path, what was wrong and what is allowed.
import type {
  Expectation,
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

  number(value: unknown, field: string, min: number, max: number, integer = false): number {
    const allowed = `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`;
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(field, `expected a number, got ${describe(value)}`, allowed);
    if (integer && !Number.isInteger(value)) this.fail(field, `${value} is not an integer`, allowed);
    if (value < min || value > max) this.fail(field, `${value} is out of range`, allowed);
    return value;
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
    c.fail(`${field}.ratePerSecond`, `${probe.ratePerSecond} is out of range`, `a number from 1 to ${MAX_COLD_RATE} (each request opens a connection)`);
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

function checkStream(c: Checker, value: unknown, field: string): LoadStream {
  const kind = c.oneOf((value as Obj | null)?.kind, `${field}.kind`, ['pressure', 'ramp'] as const);
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
  const o = c.object(value, field, [...common, 'startRate', 'stepRate', 'stepSeconds', 'maxRate']);
  const stream: LoadStream = {
    kind,
    route: c.string(o.route, `${field}.route`, ROUTE, ROUTE_ALLOWED),
    startRate: c.number(o.startRate, `${field}.startRate`, 1, 2000),
    stepRate: c.number(o.stepRate, `${field}.stepRate`, 0, 2000),
    stepSeconds: c.number(o.stepSeconds, `${field}.stepSeconds`, 1, 600),
  };
  if (o.maxRate !== undefined) stream.maxRate = c.number(o.maxRate, `${field}.maxRate`, stream.startRate, 5000);
  return withCommon(c, o, field, stream);
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
  if (o.onset !== undefined) {
    if (typeof o.onset !== 'boolean') c.fail(`${field}.onset`, `expected a boolean, got ${describe(o.onset)}`, 'true or false');
    phase.onset = o.onset;
  }
  return phase;
}

function checkOverride(c: Checker, value: unknown, field: string, phase: Phase): PhaseOverride {
  const o = c.object(value, field, ['durationSeconds', 'settleSeconds', 'streams']);
  const out: PhaseOverride = {};
  if (o.durationSeconds !== undefined) out.durationSeconds = c.number(o.durationSeconds, `${field}.durationSeconds`, 1, MAX_PHASE_SECONDS, true);
  const duration = out.durationSeconds ?? phase.durationSeconds;
  if (o.settleSeconds !== undefined) out.settleSeconds = c.number(o.settleSeconds, `${field}.settleSeconds`, 0, Math.max(0, duration - 1), true);
  if (o.streams !== undefined) out.streams = checkStreams(c, o.streams, `${field}.streams`);
  return out;
}

function checkBound(c: Checker, value: unknown, field: string, phases: string[]): number | { phase: string; factor: number } {
  if (typeof value === 'number') return c.number(value, field, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  const o = c.object(value, field, ['phase', 'factor']);
  return { phase: c.oneOf(o.phase, `${field}.phase`, phases), factor: c.number(o.factor, `${field}.factor`, 0, 1000) };
}

function checkExpectation(c: Checker, value: unknown, field: string, phases: string[]): Expectation {
  if (typeof value === 'object' && value !== null && 'leads' in value) {
    const o = c.object(value, field, ['leads', 'before', 'bySeconds', 'passIfLaterNeverCrosses', 'why']);
    const leads = c.oneOf(o.leads, `${field}.leads`, SIGNAL_IDS);
    const before = c.oneOf(o.before, `${field}.before`, SIGNAL_IDS);
    if (leads === before) c.fail(`${field}.before`, `is the same signal as "leads" (${leads})`, 'another signal');
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
  const o = c.object(value, field, ['phase', 'signal', 'stat', 'above', 'below', 'why']);
  const out: Expectation = {
    phase: c.oneOf(o.phase, `${field}.phase`, phases),
    signal: c.oneOf(o.signal, `${field}.signal`, SIGNAL_IDS),
  };
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
  const o = c.object(value, '', ['name', 'title', 'description', 'guide', 'probe', 'coldProbe', 'liveness', 'phases', 'expectations', 'thresholds', 'quick']);
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
  scenario.expectations = c
    .array(o.expectations, 'expectations', 1, 50, 'expectations')
    .map((e, i) => checkExpectation(c, e, `expectations[${i}]`, names));
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
