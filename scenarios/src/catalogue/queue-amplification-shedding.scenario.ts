import { defineScenario } from '../define.js';
import { checkouts, RETRY_STORM } from './queue-amplification.scenario.js';

export default defineScenario({
  name: 'queue-amplification-shedding',
  title: 'Queue amplification, then load shedding and deadline propagation',
  description:
    'The retry storm, then load shedding with the fault still on: a checkout that would push the backlog past 10 calls is answered 503 + Retry-After at once, and queued calls whose caller already gave up are dropped instead of sent. The backlog drains and stays bounded; refused clients learn it in milliseconds instead of seconds.',
  guide: 'queue-amplification-shedding.md',
  phases: [
    {
      name: 'fault',
      durationSeconds: 12,
      faults: RETRY_STORM,
      streams: [checkouts(8)],
    },
    {
      name: 'mitigated',
      durationSeconds: 12,
      settleSeconds: 3,
      faults: RETRY_STORM,
      mitigations: { 'load-shedding': { maxBacklog: 10, retryAfterSeconds: 1 }, 'deadline-propagation': { minRemainingMs: 10 } },
      streams: [checkouts(8)],
    },
  ],
  expectations: [
    { phase: 'fault', signal: 'backlog', above: 20 },
    { phase: 'mitigated', signal: 'backlog', below: { phase: 'fault', factor: 0.6 }, why: 'admission stops at the bound' },
    { phase: 'mitigated', signal: 'pressureP99', below: { phase: 'fault', factor: 0.5 }, why: 'shed checkouts fail fast' },
  ],
  quick: { phases: { fault: { durationSeconds: 6 }, mitigated: { durationSeconds: 8 } } },
});
