// X-Deadline-Ms, the remaining budget a caller hands downstream (deadline propagation): the
// api sends it, downstream honours it. One definition, so the two cannot disagree.

export const DEADLINE_HEADER = 'x-deadline-ms';

/**
 * The longest budget accepted: the most a Node timer can wait (2^31 - 1 ms, about 24.8 days).
 * A longer delay makes setTimeout fire after 1 ms, so the request would be dropped as expired.
 */
export const MAX_DEADLINE_MS = 2_147_483_647;

/** The budget in ms, or a message that names the header, what was sent and what is allowed. */
export function parseDeadlineMs(raw: string | string[]): number | { problem: string } {
  if (typeof raw === 'string' && /^\d+$/.test(raw) && Number(raw) <= MAX_DEADLINE_MS) return Number(raw);
  return { problem: `${DEADLINE_HEADER} must be a whole number of milliseconds from 0 to ${MAX_DEADLINE_MS}, got ${JSON.stringify(raw)}` };
}
