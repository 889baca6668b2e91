// A scenario's faults checked against the catalogue the service publishes, before anything runs:
// an input trigger whose source the fault's routes cannot carry is refused up front.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceCatalogue } from '../src/admin.js';
import type { Scenario } from '../src/define.js';
import { checkTogglesAgainst } from '../src/toggles.js';

/** The shape GET /admin/catalogue answers with, for the one fault this test needs. */
const catalogue: ServiceCatalogue = {
  ttlSeconds: { default: 600, min: 1, max: 3600 },
  toggles: {
    'threadpool-saturation': {
      kind: 'fault',
      title: 'libuv threadpool saturation',
      params: {
        iterations: { type: 'integer', min: 1000, max: 1_000_000 },
        trigger: { type: 'trigger', default: '', sources: ['header', 'query'] },
      },
    },
  },
};

function withTrigger(trigger: unknown): Scenario {
  return {
    name: 'x',
    title: 'x',
    description: 'x',
    phases: [{ name: 'fault', durationSeconds: 2, faults: { 'threadpool-saturation': { iterations: 5000, trigger: trigger as string } } }],
    expectations: [{ phase: 'fault', signal: 'probeP99', below: 1 }],
  };
}

test('a trigger is checked against the sources the fault accepts, with the field and what is allowed', () => {
  for (const ok of ['', 'header:x-tenant=acme', 'query:id=42']) checkTogglesAgainst(withTrigger(ok), catalogue, 'x.scenario.ts');
  assert.throws(
    () => checkTogglesAgainst(withTrigger('body:customer=acme'), catalogue, 'x.scenario.ts'),
    (error: Error) =>
      /x\.scenario\.ts: phases\[0\]\.faults\.threadpool-saturation\.trigger: source "body" is not one of header, query; allowed: a string "" or "<header\|query>:<name>=<value>"/.test(
        error.message,
      ),
  );
  assert.throws(
    () => checkTogglesAgainst(withTrigger(7), catalogue, 'x.scenario.ts'),
    /phases\[0\]\.faults\.threadpool-saturation\.trigger: got 7/,
  );
});
