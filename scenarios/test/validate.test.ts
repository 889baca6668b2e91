import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ScenarioError } from '../src/errors.js';
import { loadScenario } from '../src/scenario-files.js';
import { applyQuickProfile, validateScenario } from '../src/validate.js';

const valid = () => ({
  name: 'tiny',
  title: 'Tiny',
  description: 'A tiny scenario.',
  phases: [
    { name: 'baseline', durationSeconds: 3 },
    { name: 'fault', durationSeconds: 5, faults: { blocking: { durationMs: 300, routes: ['orders'] } }, streams: [{ kind: 'pressure', route: '/api/orders', connections: 2 }] },
  ],
  expectations: [{ phase: 'fault', signal: 'probeP99', above: 0.2 }],
  quick: { phases: { fault: { durationSeconds: 2 } } },
});

function problem(mutate: (s: ReturnType<typeof valid>) => void): string {
  const s = valid();
  mutate(s);
  try {
    validateScenario(s, 'x.scenario.ts');
  } catch (error) {
    assert.ok(error instanceof ScenarioError, String(error));
    return error.message;
  }
  assert.fail('expected a ScenarioError');
}

test('a valid scenario passes and the quick profile shortens its phases', () => {
  const s = validateScenario(valid(), 'x.scenario.ts');
  assert.equal(s.phases.length, 2);
  assert.equal(applyQuickProfile(s).phases[1]?.durationSeconds, 2);
  assert.equal(applyQuickProfile(s).phases[0]?.durationSeconds, 3);
});

test('every problem names the file, the field, what was wrong and what is allowed', () => {
  assert.equal(
    problem((s) => ((s.phases[1] as { durationSeconds: unknown }).durationSeconds = 'ten')),
    'x.scenario.ts: phases[1].durationSeconds: expected a number, got "ten"; allowed: an integer from 1 to 600',
  );
  assert.match(problem((s) => ((s.phases[1] as Record<string, unknown>).durration = 3)), /^x\.scenario\.ts: phases\[1\]\.durration: unknown field; allowed: name, durationSeconds/);
  assert.match(problem((s) => ((s.expectations[0] as Record<string, unknown>).signal = 'p99')), /expectations\[0\]\.signal: "p99" is not allowed; allowed: probeP99, coldProbeP99, rampP99/);
  assert.match(problem((s) => ((s.expectations[0] as Record<string, unknown>).phase = 'nope')), /expectations\[0\]\.phase: "nope" is not allowed; allowed: baseline, fault$/);
  assert.match(problem((s) => ((s.phases[1] as Record<string, unknown>).streams = [{ kind: 'flood', route: '/x' }])), /phases\[1\]\.streams\[0\]\.kind: "flood" is not allowed; allowed: pressure, ramp$/);
  assert.match(problem((s) => ((s.phases[0] as Record<string, unknown>).name = 'fault')), /phases\[1\]\.name: duplicate phase name "fault"/);
  assert.match(problem((s) => (s.phases[1] as Record<string, unknown>).faults = { blocking: { routes: [1] } }), /phases\[1\]\.faults\.blocking\.routes: .*allowed: a string, a finite number/);
  assert.match(problem((s) => ((s.expectations[0] as Record<string, unknown>).above = undefined)), /expectations\[0\]: states no bound; allowed: "above" and\/or "below"/);
  assert.match(problem((s) => (s.quick = { phases: { nope: {} } } as never)), /quick\.phases\.nope: unknown field; allowed: baseline, fault/);
  assert.match(problem((s) => (s.phases = Array.from({ length: 4 }, (_, i) => ({ name: `p${i}`, durationSeconds: 600 })))), /phases: add up to 2400 s; allowed: at most 1800 s/);
  assert.match(
    problem((s) => (s.expectations = [{ leads: 'elu', before: 'probeP99', passIfLaterNeverCrosses: 'yes' }] as never)),
    /expectations\[0\]\.passIfLaterNeverCrosses: expected a boolean, got "yes"; allowed: true or false$/,
  );
  assert.match(problem((s) => (s.expectations = [{ leads: 'elu', before: 'elu' }] as never)), /expectations\[0\]\.before: is the same signal as "leads" \(elu\); allowed: another signal$/);
});

test('a missing field says it is missing, never "undefined undefined"', () => {
  assert.equal(
    problem((s) => delete (s as Partial<typeof s>).expectations),
    'x.scenario.ts: expectations: expected an array, got nothing (the field is missing); allowed: an array of expectations',
  );
  assert.equal(
    problem((s) => delete (s.phases[0] as Partial<(typeof s.phases)[0]>).durationSeconds),
    'x.scenario.ts: phases[0].durationSeconds: expected a number, got nothing (the field is missing); allowed: an integer from 1 to 600',
  );
  assert.doesNotMatch(problem((s) => delete (s as Partial<typeof s>).title), /undefined/);
});

test('the cold probe and the liveness probe are settable, each checked with the field, what was wrong and what is allowed', () => {
  const s = validateScenario(
    { ...valid(), coldProbe: { ratePerSecond: 20, sloMs: 250 }, liveness: { periodSeconds: 2, failureThreshold: 2 }, quick: { liveness: { periodSeconds: 1 } } },
    'x.scenario.ts',
  );
  assert.deepEqual(s.coldProbe, { ratePerSecond: 20, sloMs: 250 });
  assert.deepEqual(applyQuickProfile(s).liveness, { periodSeconds: 1, failureThreshold: 2 });
  assert.equal(
    problem((x) => ((x as Record<string, unknown>).coldProbe = { ratePerSecond: 500 })),
    'x.scenario.ts: coldProbe.ratePerSecond: 500 is out of range; allowed: a number from 1 to 200 (each request opens a connection)',
  );
  assert.equal(
    problem((x) => ((x as Record<string, unknown>).liveness = { timeoutSeconds: 0.5 })),
    'x.scenario.ts: liveness.timeoutSeconds: 0.5 is not an integer; allowed: an integer from 1 to 60',
  );
  assert.match(problem((x) => ((x as Record<string, unknown>).liveness = { period: 5 })), /liveness\.period: unknown field; allowed: route, timeoutSeconds, periodSeconds, failureThreshold$/);
  assert.match(problem((x) => ((x as Record<string, unknown>).liveness = { failureThreshold: 0 })), /liveness\.failureThreshold: 0 is out of range; allowed: an integer from 1 to 100$/);
});

test('a scenario file outside the repository can import defineScenario from @runtime-lab/scenarios', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lab-scenario-'));
  const file = join(dir, 'incident.scenario.ts');
  writeFileSync(
    file,
    `import { defineScenario } from '@runtime-lab/scenarios';
const seconds: number = 4;
export default defineScenario({ name: 'incident', title: 'Incident', description: 'x', phases: [{ name: 'only', durationSeconds: seconds }], expectations: [{ phase: 'only', signal: 'probeP99', below: 1 }] });
`,
  );
  const loaded = await loadScenario(file);
  assert.equal(loaded.scenario.name, 'incident');
  assert.equal(loaded.scenario.phases[0]?.durationSeconds, 4);
});
