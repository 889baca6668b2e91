// Numbers as people type them (environment variables, key=value arguments, headers) and as JSON
// bodies carry them. One reading for the whole lab, so that "", "0x10", "1e3", "Infinity", "-0"
// and 1.5-where-an-integer-is-wanted mean the same thing at every edge: Number() would read ""
// as 0 and "0x10" as 16, and JSON.parse reads 1e400 as Infinity.

/** What a field accepts. */
export interface NumberRule {
  /** True: whole numbers only. */
  integer: boolean;
  min: number;
  max: number;
  /**
   * True: a value above max (Infinity included, which is what JSON's 1e400 parses to) is
   * applied as max and reported; false: refused.
   */
  clampAboveMax?: boolean;
}

export type NumberReading =
  | { ok: true; value: number /** The value asked for, when it was clamped to max. */; clampedFrom?: number }
  | { ok: false /** What was wrong, e.g. `got "0x10" (not a decimal number)`. */; problem: string };

/**
 * The rule in words, as it behaves: "an integer from 0 to 65535" when values above the maximum
 * are refused, "an integer ≥ 1 (values above 30000 are clamped to 30000)" when they are clamped.
 */
export function describeNumberRule(rule: NumberRule): string {
  const kind = rule.integer ? 'an integer' : 'a number';
  if (rule.clampAboveMax) return `${kind} ≥ ${rule.min} (values above ${rule.max} are clamped to ${rule.max})`;
  return `${kind} from ${rule.min} to ${rule.max}`;
}

/** A number for messages: Infinity and NaN by name (JSON.stringify would print null). */
export function showNumber(value: number): string {
  if (Object.is(value, -0)) return '-0';
  return String(value);
}

function inRange(value: number, shown: string, rule: NumberRule): NumberReading {
  if (rule.integer && !Number.isInteger(value) && Number.isFinite(value)) return { ok: false, problem: `got ${shown} (not an integer)` };
  if (value < rule.min) return { ok: false, problem: `got ${shown} (below ${rule.min})` };
  if (value > rule.max) {
    if (rule.clampAboveMax) return { ok: true, value: rule.max, clampedFrom: value };
    return { ok: false, problem: `got ${shown} (above ${rule.max})` };
  }
  if (!Number.isFinite(value)) return { ok: false, problem: `got ${shown} (not a finite number)` };
  // -0 is 0 for every quantity the lab has; keep it out of state and output.
  return { ok: true, value: value === 0 ? 0 : value };
}

const INTEGER_TEXT = /^-?\d+$/;
const DECIMAL_TEXT = /^-?\d+(?:\.\d+)?$/;

/**
 * Reads plain decimal text: optional minus, digits, and (unless rule.integer) one decimal
 * point with digits on both sides. Refused, with the reason: empty text, whitespace, a plus
 * sign, hexadecimal/octal/binary prefixes, exponents, Infinity, NaN, fractions where an
 * integer is wanted, values outside the rule (unless clamped above max).
 */
export function readDecimal(text: string, rule: NumberRule): NumberReading {
  const shown = JSON.stringify(text);
  if (text === '') return { ok: false, problem: 'got "" (empty)' };
  if (!DECIMAL_TEXT.test(text)) return { ok: false, problem: `got ${shown} (not a plain decimal number)` };
  if (rule.integer && !INTEGER_TEXT.test(text)) return { ok: false, problem: `got ${shown} (not an integer)` };
  return inRange(Number(text), shown, rule);
}

/**
 * Checks a value that came out of JSON.parse. Only numbers pass (a string "5" is refused);
 * JSON's overflow (1e400 parses to Infinity) counts as "above max", so it is clamped when the
 * rule clamps, and -1e400 is below any minimum. -0 becomes 0.
 */
export function checkJsonNumber(value: unknown, rule: NumberRule): NumberReading {
  if (typeof value !== 'number') {
    const shown = JSON.stringify(value) ?? String(value);
    return {
      ok: false,
      problem: `got ${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}${typeof value === 'string' ? ' (a string, not a number)' : ''}`,
    };
  }
  if (Number.isNaN(value)) return { ok: false, problem: 'got NaN' };
  return inRange(value, showNumber(value), rule);
}
