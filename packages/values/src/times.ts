// Instants as the lab reads them from people and writes them for people. A time without an
// offset is refused, never read in the machine's zone: the same command must mean the same
// window on a laptop in Tokyo and on a CI runner in UTC. Written times are RFC 3339 in UTC
// with a "Z", so every one carries its offset and sorts as text.

export const INSTANT_SYNTAX = 'an RFC 3339 time with an offset, e.g. 2026-11-29T18:47:01Z or 2026-11-29T18:47:01+09:00, or unix seconds';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?$/;

export type InstantReading = { ok: true; epochMs: number } | { ok: false; problem: string };

/** Epoch milliseconds from RFC 3339 text with an offset, or from unix seconds (decimal). */
export function readInstant(text: string): InstantReading {
  const shown = JSON.stringify(text);
  if (/^\d+(?:\.\d+)?$/.test(text)) {
    const epochMs = Number(text) * 1000;
    // Beyond ±8.64e15 ms a Date is invalid (ECMAScript's time range).
    return epochMs <= 8.64e15 ? { ok: true, epochMs } : { ok: false, problem: `got ${shown}, which is past the year 275760` };
  }
  const match = RFC3339.exec(text);
  if (!match) return { ok: false, problem: `got ${shown}` };
  const [, y, mo, d, h, mi, s, , offset] = match;
  if (offset === undefined) {
    return {
      ok: false,
      problem: `got ${shown}, which has no offset: add Z for UTC or the zone's offset such as +09:00 (a time without one would be read in this machine's zone, ${Intl.DateTimeFormat().resolvedOptions().timeZone})`,
    };
  }
  const epochMs = Date.parse(text.toUpperCase());
  // Date.parse rolls 2026-02-30 over to March; a date that does not exist is a typo.
  const civil = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  const exists =
    civil.getUTCFullYear() === Number(y) &&
    civil.getUTCMonth() === Number(mo) - 1 &&
    civil.getUTCDate() === Number(d) &&
    civil.getUTCHours() === Number(h) &&
    civil.getUTCMinutes() === Number(mi);
  if (Number.isNaN(epochMs) || !exists) return { ok: false, problem: `got ${shown}, which is not a valid date and time` };
  return { ok: true, epochMs };
}

/** RFC 3339 in UTC ("2026-11-29T18:47:01Z"; milliseconds only when there are any). */
export function formatInstant(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('.000Z', 'Z');
}
