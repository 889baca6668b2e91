// The module format: every module in workshop/modules validates (scenario, signals, phases and
// exercise exist), and a broken module is rejected with its file and field named.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Report } from '@runtime-lab/scenarios';
import { checkObservations } from '../src/observations.js';
import { loadModules, parseModule } from '../src/modules.js';
import { MODULES_DIR } from '../src/paths.js';

const reference = readFileSync(join(MODULES_DIR, '02-blocking.md'), 'utf8');

test('every module in workshop/modules loads: known scenario, signals, phases and exercise; unique ids', async () => {
  const modules = await loadModules();
  assert.ok(modules.length >= 1);
  assert.ok(modules.some((m) => m.id === 'blocking'));
  for (const m of modules) assert.ok(m.body.includes('## Goals'), m.file);
});

async function rejects(text: string, name: string, pattern: RegExp): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'workshop-modules-'));
  writeFileSync(join(dir, name), text);
  await assert.rejects(loadModules(dir), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'LAB_WORKSHOP_MODULE');
    assert.ok(error.message.startsWith(join(dir, name)), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

test('a module naming an unknown scenario, signal, phase or exercise is rejected with file, field and what is allowed', async () => {
  await rejects(
    reference.replace('scenario: blocking', 'scenario: blockin'),
    '02-blocking.md',
    /: scenario: no catalogue scenario "blockin"; allowed: .*baseline.*blocking/,
  );
  await rejects(
    reference.replace('signal: serverP99', 'signal: serverP98'),
    '02-blocking.md',
    /: observations\[0\]\.checks\[1\]\.signal: unknown signal "serverP98"; allowed: probeP99/,
  );
  await rejects(
    reference.replace('{ phase: fault, signal: elu', '{ phase: faults, signal: elu'),
    '02-blocking.md',
    /: observations\[1\]\.checks\[1\]\.phase: scenario "blocking" has no phase "faults"; allowed: baseline, fault, recovery/,
  );
  await rejects(
    reference.replace('exercise: login-hash', 'exercise: login'),
    '02-blocking.md',
    /: exercise: no exercise "login"; allowed: login-hash, json-parse, file-read, fan-out/,
  );
});

test('front matter and body mistakes are named: answer key, unknown field, file name, sections, bounds', async () => {
  await rejects(
    reference.replace('    answer: b\n', '    answer: d\n'),
    '02-blocking.md',
    /: predict\[0\]\.answer: "d" is not one of the choices; allowed: a, b, c/,
  );
  await rejects(
    reference.replace('minutes: 20', 'minutes: 20\nduration: 3'),
    '02-blocking.md',
    /: duration: unknown field; allowed: id, title/,
  );
  await rejects(reference, '2-blocking.md', /: file name: must be NN-<id>\.md/);
  await rejects(reference, '02-other.md', /: id: "blocking" must match the file name's id "other"/);
  await rejects(
    reference.replace('## Answer key', '## Answers'),
    '02-blocking.md',
    /: body: the "##" sections must be, in this order: Goals, Predict, Run, What to look at, Expected observations, Answer key, Common misreadings, Timing/,
  );
  await rejects(
    reference.replace('{ phase: fault, signal: elu, above: 0.8 }', '{ phase: fault, signal: elu }'),
    '02-blocking.md',
    /: observations\[1\]\.checks\[1\]: give "above", "below" or both/,
  );
  await rejects(reference.replace('minutes: 20', 'minutes: twenty'), '02-blocking.md', /: minutes: must be an integer from 1 to 240/);
  assert.throws(() => parseModule('x/03-a.md', 'no front matter'), /x\/03-a\.md: front matter: the file must start with a YAML block/);
});

test('numbers in the front matter are plain decimals: hex, octal, exponents, .inf and .nan are text, refused where a number is wanted', async () => {
  for (const written of ['0x14', '0o24', '2e1', '.inf', '.nan', '+20']) {
    await rejects(
      reference.replace('minutes: 20', `minutes: ${written}`),
      '02-blocking.md',
      new RegExp(`: minutes: must be an integer from 1 to 240, got "${written.replace(/[.+]/g, '\\$&')}"`),
    );
  }
  for (const written of ['0x1', '1e0', '-.inf', '.nan']) {
    await rejects(
      reference.replace('signal: elu, above: 0.8 }', `signal: elu, above: ${written} }`),
      '02-blocking.md',
      new RegExp(`: observations\\[1\\]\\.checks\\[1\\]\\.above: must be a number .*, got "${written.replace(/[.+]/g, '\\$&')}"`),
    );
  }
  const read = (text: string) => parseModule(join(MODULES_DIR, '02-blocking.md'), text);
  assert.equal(read(reference.replace('minutes: 20', 'minutes: 020')).minutes, 20, 'a leading zero is decimal, not octal');
  const bound = read(reference.replace('signal: elu, above: 0.8 }', 'signal: elu, above: -0 }')).observations[1]?.checks[1]?.above;
  assert.ok(Object.is(bound, 0), `-0 reads as 0, got ${bound}`);
  assert.equal(read(reference).observations[1]?.checks[1]?.above, 0.8);
});

function report(summary: Record<string, number | null>, lower: Record<string, number | null> = {}): Report {
  return { phases: [{ name: 'fault', summary, summaryLower: lower }] } as unknown as Report;
}

test('observations: "above" uses the bucket lower bound, "below" the upper bound, so a bound alone never passes', () => {
  const module = parseModule(join(MODULES_DIR, '02-blocking.md'), reference);
  const only = {
    ...module,
    observations: [
      {
        text: 't',
        checks: [
          { phase: 'fault', signal: 'loopDelayP99' as const, above: 0.3 },
          { phase: 'fault', signal: 'serverP99' as const, below: 0.05 },
        ],
      },
    ],
  };
  const pass = checkObservations(only, report({ loopDelayP99: 0.64, serverP99: 0.025 }, { loopDelayP99: 0.32, serverP99: 0.01 }));
  assert.deepEqual(
    pass.map((r) => r.passed),
    [true, true],
  );
  // Upper bound above 0.3 but lower bound below it: not proven above.
  const straddle = checkObservations(only, report({ loopDelayP99: 0.64, serverP99: 0.08 }, { loopDelayP99: 0.16, serverP99: 0.04 }));
  assert.deepEqual(
    straddle.map((r) => r.passed),
    [false, false],
  );
  const missing = checkObservations(
    { ...only, observations: [{ text: 't', checks: [{ phase: 'recovery', signal: 'elu', below: 1 }] }] },
    report({}),
  );
  assert.equal(missing[0]?.passed, false);
  assert.match(missing[0]?.problem ?? '', /no phase "recovery"/);
});
