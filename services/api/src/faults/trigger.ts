// Input triggers: a fault that fires only on requests carrying a given input ("this customer's
// payload hangs the regex"). A trigger is one string, `<source>:<name>=<value>`, so the same text
// works in a PUT body, `lab fault set blocking trigger=body:customer=acme` and a scenario file.
import { TRIGGER_LIMITS, TRIGGER_SOURCES, type TriggerSource } from './catalogue.js';

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

export const TRIGGER_GRAMMAR =
  `"" (no trigger) or "<source>:<name>=<value>" with source one of ${TRIGGER_SOURCES.join(', ')}, ` +
  `name 1–${TRIGGER_LIMITS.maxNameLength} characters of A-Z a-z 0-9 _ . - and value 1–${TRIGGER_LIMITS.maxValueLength} printable characters`;

/** Parses a trigger; '' is "no trigger" (undefined). Returns an error text for anything else malformed. */
export function parseTrigger(text: string): Trigger | undefined | { error: string } {
  if (text === '') return undefined;
  const colon = text.indexOf(':');
  const eq = text.indexOf('=', colon + 1);
  if (colon <= 0 || eq < 0) return { error: 'not of the form <source>:<name>=<value>' };
  const source = text.slice(0, colon);
  const name = text.slice(colon + 1, eq);
  const value = text.slice(eq + 1);
  if (!(TRIGGER_SOURCES as readonly string[]).includes(source))
    return { error: `source "${source.slice(0, 20)}" is not one of ${TRIGGER_SOURCES.join(', ')}` };
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
