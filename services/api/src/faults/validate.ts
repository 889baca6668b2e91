// Validation of a PUT /admin/faults/:name body against the catalogue. Hand-written rather than
// Fastify's ajv: ajv (as Fastify configures it) coerces types and strips unknown keys silently,
// and it cannot clamp. Here nothing is coerced, unknown keys are errors, values over a maximum
// are clamped and reported, and every message names the field and what is allowed.
import { ApiError } from '../errors.js';
import { catalogue, defaultParams, type ParamSpec, type ParamsOf, TTL_SECONDS, type ToggleName } from './catalogue.js';
import { parseTrigger, TRIGGER_GRAMMAR } from './trigger.js';

export interface Clamp {
  param: string;
  requested: number;
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
      return `an integer from ${spec.min} to ${spec.max} (larger values are clamped to ${spec.max})`;
    case 'number':
      return `a number from ${spec.min} to ${spec.max} (larger values are clamped to ${spec.max})`;
    case 'enum':
      return `one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'set':
      return `a non-empty array of distinct values from ${spec.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'trigger':
      return TRIGGER_GRAMMAR;
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Checked = { ok: true; value: unknown; clamp?: Clamp } | { ok: false; message: string };

function checkNumber(param: string, spec: { min: number; max: number }, value: unknown, integer: boolean): Checked {
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < spec.min) {
    return { ok: false, message: `got ${show(value)}` };
  }
  if (value > spec.max) return { ok: true, value: spec.max, clamp: { param, requested: value, applied: spec.max } };
  return { ok: true, value };
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
      const parsed = parseTrigger(value);
      // The raw value is not echoed in full: it may be a customer's input.
      if (parsed && 'error' in parsed) return { ok: false, message: `got ${show(value)}: ${parsed.error}` };
      return { ok: true, value };
    }
  }
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
        problems.push({ param: key, message: `ttlSeconds: expected an integer from ${TTL_SECONDS.min} to ${TTL_SECONDS.max} (larger values are clamped), ${checked.message}` });
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

  if (problems.length > 0) {
    throw new ApiError('LAB_INVALID_PARAMS', 400, `invalid parameters for ${name}: ${problems.map((p) => p.message).join('; ')}`, {
      problems,
      allowed: allowedKeys,
    });
  }
  return { params: params as ParamsOf<N>, ttlSeconds, clamped };
}
