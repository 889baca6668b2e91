// Input triggers: a fault that fires only on requests carrying a given input ("this customer's
// payload hangs the regex"). A trigger is one string, `<source>:<name>=<value>`, so the same text
// works in a PUT body, `lab fault set blocking trigger=body:customer=acme` and a scenario file.
import { type FaultName, TRIGGER_LIMITS, TRIGGER_SOURCES, type TriggerSource } from './catalogue.js';

export interface Trigger {
  source: TriggerSource;
  /** Header name (lower case), query parameter or top-level JSON body field. */
  name: string;
  /** Compared for equality with the request's value (numbers and booleans in a body as their text). */
  value: string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
// Printable text only: a trigger is echoed by GET /admin/faults and the control page.
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The trigger form in words, for a fault whose routes can carry `sources` (error messages, docs, control page). */
export function triggerGrammar(sources: readonly TriggerSource[] = TRIGGER_SOURCES): string {
  return (
    `"" (no trigger) or "<source>:<name>=<value>" with source one of ${sources.join(', ')}, ` +
    `name 1–${TRIGGER_LIMITS.maxNameLength} characters of A-Z a-z 0-9 _ . - and value 1–${TRIGGER_LIMITS.maxValueLength} printable characters`
  );
}

/**
 * Parses a trigger; '' is "no trigger" (undefined). Returns an error text for anything else
 * malformed, or for a source the fault's routes cannot carry (GET /api/hash has no body).
 */
export function parseTrigger(text: string, sources: readonly TriggerSource[] = TRIGGER_SOURCES): Trigger | undefined | { error: string } {
  if (text === '') return undefined;
  const colon = text.indexOf(':');
  const eq = text.indexOf('=', colon + 1);
  if (colon <= 0 || eq < 0) return { error: 'not of the form <source>:<name>=<value>' };
  const source = text.slice(0, colon);
  const name = text.slice(colon + 1, eq);
  const value = text.slice(eq + 1);
  if (!(sources as readonly string[]).includes(source))
    return { error: `source "${source.slice(0, 20)}" is not one of ${sources.join(', ')}` };
  if (name.length === 0 || name.length > TRIGGER_LIMITS.maxNameLength || !NAME.test(name)) {
    return { error: `name must be 1–${TRIGGER_LIMITS.maxNameLength} characters of A-Z a-z 0-9 _ . -` };
  }
  if (value.length === 0 || value.length > TRIGGER_LIMITS.maxValueLength || CONTROL.test(value)) {
    return { error: `value must be 1–${TRIGGER_LIMITS.maxValueLength} printable characters` };
  }
  return { source: source as TriggerSource, name: source === 'header' ? name.toLowerCase() : name, value };
}

/** What a trigger reads from a request (Fastify's parsed headers, query and body). */
export interface RequestInput {
  headers: Record<string, string | string[] | undefined>;
  query: unknown;
  body: unknown;
}

function equals(found: unknown, value: string): boolean {
  if (Array.isArray(found)) return found.some((f) => equals(f, value));
  if (typeof found === 'string') return found === value;
  if (typeof found === 'number' || typeof found === 'boolean') return String(found) === value;
  return false;
}

function field(container: unknown, name: string): unknown {
  if (typeof container !== 'object' || container === null || Array.isArray(container)) return undefined;
  return Object.hasOwn(container, name) ? (container as Record<string, unknown>)[name] : undefined;
}

/** True when the request carries the trigger's input. */
export function matchesTrigger(trigger: Trigger, request: RequestInput): boolean {
  switch (trigger.source) {
    case 'header':
      return equals(request.headers[trigger.name], trigger.value);
    case 'query':
      return equals(field(request.query, trigger.name), trigger.value);
    case 'body':
      return equals(field(request.body, trigger.name), trigger.value);
  }
}

/** Counts requests a trigger looked at (bounded labels: the fault and the source, never the name or value). */
export type TriggerCounter = (fault: FaultName, source: TriggerSource, matched: boolean) => void;

/** Stands for a trigger text that does not parse: it matches nothing. */
const NEVER: Trigger = Object.freeze({ source: 'header', name: '', value: '' });

/**
 * Decides per request whether a fault with a `trigger` parameter fires. The trigger is parsed
 * once per parameter set: FaultState keeps one params object per PUT, so it is the cache key,
 * and a request can never see a new trigger with old parameters or the reverse.
 */
export class InputTriggers {
  readonly #parsed = new WeakMap<object, Trigger | undefined>();
  readonly #count: TriggerCounter;

  constructor(count: TriggerCounter = () => {}) {
    this.#count = count;
  }

  /** True when `params` has no trigger or the request carries its input; counts the requests a trigger looked at. */
  fires(fault: FaultName, params: { readonly trigger: string }, request: RequestInput): boolean {
    if (!this.#parsed.has(params)) {
      // The text was validated by the admin API; an unreadable one (never expected) fires on nothing.
      const parsed = parseTrigger(params.trigger);
      this.#parsed.set(params, parsed && 'error' in parsed ? NEVER : parsed);
    }
    const trigger = this.#parsed.get(params);
    if (!trigger) return true;
    if (trigger === NEVER) return false;
    const matched = matchesTrigger(trigger, request);
    this.#count(fault, trigger.source, matched);
    return matched;
  }
}
