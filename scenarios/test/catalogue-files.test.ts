import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { catalogueNames, loadScenario } from '../src/scenario-files.js';
import { applyQuickProfile } from '../src/validate.js';

const GUIDES = fileURLToPath(new URL('../../guides/', import.meta.url));
const REQUIRED = ['baseline', 'blocking', 'blocking-microtask', 'executor', 'threadpool', 'queue-amplification', 'ramp'];

test('the catalogue has every required scenario, a with-mitigation variant of each fault, and a guide for each', async () => {
  const names = catalogueNames();
  for (const name of REQUIRED) assert.ok(names.includes(name), `${name} is in the catalogue`);
  const mitigated = [];
  let quickSeconds = 0;
  for (const name of names) {
    const { scenario } = await loadScenario(name);
    assert.equal(scenario.name, name, 'file name and scenario name agree');
    assert.ok(scenario.guide, `${name} names its guide`);
    const guide = `${GUIDES}${scenario.guide}`;
    assert.ok(existsSync(guide), `${guide} exists`);
    assert.match(readFileSync(guide, 'utf8'), new RegExp(`lab run ${name}`), `${name}'s guide says how to run it`);
    const quick = applyQuickProfile(scenario).phases.reduce((a, p) => a + p.durationSeconds, 0);
    assert.ok(quick <= 25, `${name} --quick lasts ${quick} s`);
    quickSeconds += quick;
    if (scenario.phases.some((p) => Object.keys(p.mitigations ?? {}).length > 0)) mitigated.push(scenario);
  }
  const faultsMitigated = new Set(mitigated.flatMap((s) => s.phases.flatMap((p) => Object.keys(p.faults ?? {}))));
  for (const fault of ['blocking', 'executor-saturation', 'threadpool-saturation', 'queue-amplification']) {
    assert.ok(faultsMitigated.has(fault), `a with-mitigation variant exists for ${fault}`);
  }
  assert.ok(quickSeconds <= 200, `all --quick profiles together last ${quickSeconds} s of load`);
});
