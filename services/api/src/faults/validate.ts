// Validation of a PUT /admin/faults/:name body against the catalogue. Hand-written rather than
// Fastify's ajv: ajv (as Fastify configures it) coerces types and strips unknown keys silently,
// and it cannot clamp. Here nothing is coerced, unknown keys are errors, values over a maximum
// are clamped and reported, and every message names the field and what is allowed.
import { checkJsonNumber, describeNumberRule } from '@runtime-lab/values';
import { ApiError } from '../errors.js';
import {
  catalogue,
  defaultParams,
  type ParamSpec,
  type ParamsOf,
  ROUTE_NAMES,
  ROUTE_URLS,
  type RouteName,
  TTL_SECONDS,
  type ToggleName,
} from './catalogue.js';
import { parseTrigger, triggerGrammar } from './trigger.js';

export interface Clamp {
  param: string;
  /** What was asked for; "Infinity" for a number too large for a double (JSON's 1e400). */
  requested: number | 'Infinity';
  applied: number;
}

export interface ValidatedToggle<N extends ToggleName = ToggleName> {
  params: ParamsOf<N>;
  ttlSeconds: number;
  clamped: Clamp[];
}

export interface ParamProblem {
  param: string;
  message: string;
}

/** What a parameter accepts, in words: reused by error messages, the docs and the control page. */
export function describeAllowed(spec: ParamSpec): string {
  switch (spec.type) {
    case 'integer':
    case 'number':
      return describeNumberRule({ integer: spec.type === 'integer', min: spec.min, max: spec.max, clampAboveMax: true });
    case 'enum':
      return `one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'set':
      return `a non-empty array of distinct values from ${spec.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'trigger':
      return triggerGrammar(spec.sources);
  }
}

/** The value as the client sent it: JSON's 1e400 parses as Infinity, which JSON.stringify would write as null. */
export function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Checked = { ok: true; value: unknown; clamp?: Clamp } | { ok: false; message: string };

// The lab's one number rule for JSON (@runtime-lab/values): above max is clamped, Infinity
// included; below min, fractions for integers, strings and null are refused; -0 is 0.
function checkNumber(param: string, spec: { min: number; max: number }, value: unknown, integer: boolean): Checked {
  const reading = checkJsonNumber(value, { integer, min: spec.min, max: spec.max, clampAboveMax: true });
  if (!reading.ok) return { ok: false, message: reading.problem };
  if (reading.clampedFrom === undefined) return { ok: true, value: reading.value };
  const requested = Number.isFinite(reading.clampedFrom) ? reading.clampedFrom : 'Infinity';
  return { ok: true, value: reading.value, clamp: { param, requested, applied: reading.value } };
}

function checkParam(param: string, spec: ParamSpec, value: unknown): Checked {
  switch (spec.type) {
    case 'integer':
      return checkNumber(param, spec, value, true);
    case 'number':
      return checkNumber(param, spec, value, false);
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value) ? { ok: true, value } : { ok: false, message: `got ${show(value)}` };
    case 'set': {
      if (!Array.isArray(value) || value.length === 0) return { ok: false, message: `got ${show(value)}` };
      const bad = value.find((v) => typeof v !== 'string' || !spec.values.includes(v));
      if (bad !== undefined) return { ok: false, message: `${show(bad)} is not allowed` };
      if (new Set(value).size !== value.length) return { ok: false, message: `got duplicates in ${show(value)}` };
      // Keep the catalogue's order so equal sets compare and display the same.
      return { ok: true, value: spec.values.filter((v) => value.includes(v)) };
    }
    case 'trigger': {
      if (typeof value !== 'string') return { ok: false, message: `got ${show(value)}` };
      const parsed = parseTrigger(value, spec.sources);
      // The raw value is not echoed in full: it may be a customer's input.
      if (parsed && 'error' in parsed) return { ok: false, message: `got ${show(value)}: ${parsed.error}` };
      return { ok: true, value };
    }
  }
}

/**
 * A fault whose routes are a parameter (blocking) can be given a body trigger and only GET routes:
 * it would never fire. Refused like any other mistake, naming both fields.
 */
function bodyTriggerOnBodylessRoutes(params: Record<string, unknown>): ParamProblem | undefined {
  const { trigger, routes } = params;
  if (typeof trigger !== 'string' || !trigger.startsWith('body:') || !Array.isArray(routes)) return undefined;
  if (routes.some((r) => ROUTE_URLS[r as RouteName]?.method === 'POST')) return undefined;
  const withBody = ROUTE_NAMES.filter((r) => ROUTE_URLS[r].method === 'POST');
  return {
    param: 'trigger',
    message: `trigger: a body trigger never matches on routes ${routes.join(', ')} (GET requests have no body); allowed: a header or query trigger, or routes including ${withBody.join(' or ')}`,
  };
}

/**
 * Validates a flat body of parameters (+ optional ttlSeconds) for toggle `name`; missing
 * parameters take their defaults. Throws ApiError 400 (LAB_INVALID_BODY / LAB_INVALID_PARAMS)
 * listing every problem; never mutates anything.
 */
export function validateToggleBody<N extends ToggleName>(name: N, body: unknown): ValidatedToggle<N> {
  const specs = catalogue[name].params as Readonly<Record<string, ParamSpec>>;
  const allowedKeys = [...Object.keys(specs), 'ttlSeconds'];
  if (body === undefined) body = {};
  if (!isPlainObject(body)) {
    throw new ApiError(
      'LAB_INVALID_BODY',
      400,
      `body of PUT /admin/faults/${name} must be a JSON object of parameters, got ${show(body)}; allowed keys: ${allowedKeys.join(', ')}`,
      { allowed: allowedKeys },
    );
  }

  const problems: ParamProblem[] = [];
  const clamped: Clamp[] = [];
  const params: Record<string, unknown> = defaultParams(name);
  let ttlSeconds: number = TTL_SECONDS.default;

  for (const [key, value] of Object.entries(body)) {
    if (key === 'ttlSeconds') {
      const checked = checkNumber(key, TTL_SECONDS, value, true);
      if (!checked.ok) {
        problems.push({
          param: key,
          message: `ttlSeconds: expected ${describeNumberRule({ integer: true, min: TTL_SECONDS.min, max: TTL_SECONDS.max, clampAboveMax: true })}, ${checked.message}`,
        });
        continue;
      }
      if (checked.clamp) clamped.push(checked.clamp);
      ttlSeconds = checked.value as number;
      continue;
    }
    const spec = Object.hasOwn(specs, key) ? specs[key] : undefined;
    if (!spec) {
      problems.push({ param: key, message: `${show(key)} is not a parameter of ${name}; allowed: ${allowedKeys.join(', ')}` });
      continue;
    }
    const checked = checkParam(key, spec, value);
    if (!checked.ok) {
      problems.push({ param: key, message: `${key}: expected ${describeAllowed(spec)}, ${checked.message}` });
      continue;
    }
    if (checked.clamp) clamped.push(checked.clamp);
    params[key] = checked.value;
  }
  const bodyless = problems.length === 0 ? bodyTriggerOnBodylessRoutes(params) : undefined;
  if (bodyless) problems.push(bodyless);

  if (problems.length > 0) {
    throw new ApiError('LAB_INVALID_PARAMS', 400, `invalid parameters for ${name}: ${problems.map((p) => p.message).join('; ')}`, {
      problems,
      allowed: allowedKeys,
    });
  }
  return { params: params as ParamsOf<N>, ttlSeconds, clamped };
}
