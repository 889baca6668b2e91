// Durations in Prometheus's notation ("500ms", "10s", "1m30s"), so one string means the same in
// thresholds.yml, the generated alert rules and the command line.

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const WHOLE = /^(?:\d+(?:ms|s|m|h|d|w))+$/;
const PART = /(\d+)(ms|s|m|h|d|w)/g;

export const DURATION_SYNTAX = 'a Prometheus duration such as 500ms, 10s, 2m or 1m30s';

/** Seconds in a Prometheus duration, or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(PART)) seconds += Number(amount) * (UNIT_SECONDS[unit as string] ?? 0);
  // More digits than a double holds (e.g. 400 nines) would make Infinity: not a duration.
  return Number.isFinite(seconds) ? seconds : undefined;
}

/** The shortest Prometheus duration for a number of seconds (rounded to whole milliseconds). */
export function formatDuration(seconds: number): string {
  let ms = Math.round(seconds * 1000);
  if (ms === 0) return '0s';
  let out = '';
  for (const [unit, size] of [
    ['w', 604800000],
    ['d', 86400000],
    ['h', 3600000],
    ['m', 60000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const n = Math.floor(ms / size);
    if (n > 0) {
      out += `${n}${unit}`;
      ms -= n * size;
    }
  }
  return out;
}
