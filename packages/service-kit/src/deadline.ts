// X-Deadline-Ms, the remaining budget a caller hands downstream (deadline propagation): the
// api sends it, downstream honours it. One definition, so the two cannot disagree.
import { readDecimal } from '@runtime-lab/values';

export const DEADLINE_HEADER = 'x-deadline-ms';

/**
 * The longest budget accepted: the most a Node timer can wait (2^31 - 1 ms, about 24.8 days).
 * A longer delay makes setTimeout fire after 1 ms, so the request would be dropped as expired.
 */
export const MAX_DEADLINE_MS = 2_147_483_647;

/** The budget in ms, or a message that names the header, what was sent and what is allowed. */
export function parseDeadlineMs(raw: string | string[]): number | { problem: string } {
  const reading = typeof raw === 'string' ? readDecimal(raw, { integer: true, min: 0, max: MAX_DEADLINE_MS }) : undefined;
  if (reading?.ok) return reading.value;
  const why = reading ? `; ${reading.problem}` : `, got ${JSON.stringify(raw)} (sent more than once)`;
  return { problem: `${DEADLINE_HEADER} must be a whole number of milliseconds from 0 to ${MAX_DEADLINE_MS}${why}` };
}
