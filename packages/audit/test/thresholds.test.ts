// Numbers in thresholds.yml are read as they are written. The YAML reader alone takes 0x10 as 16,
// 0o17 as 15, 1e3 as 1000 and .inf/.nan as numbers; the lab's one number rule (@runtime-lab/values)
// accepts plain decimal text only, so each of these must be refused with file:line:col, the field
// and what is allowed, and nothing else in the file may change what is read.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ThresholdsError } from '../src/errors.js';
import { parseThresholds } from '../src/thresholds.js';
import { ROOT } from './helpers.js';

const THRESHOLDS = readFileSync(join(ROOT, 'prometheus/thresholds.yml'), 'utf8');
const DEGRADED_LINE = '    degraded: 0.8';
const FIELD = 'rules.elu_saturation.degraded';

function withDegraded(text: string): string {
  assert.ok(THRESHOLDS.includes(DEGRADED_LINE), `the lab's thresholds.yml has "${DEGRADED_LINE}"`);
  return THRESHOLDS.replace(DEGRADED_LINE, `    degraded:${text === '' ? '' : ` ${text}`}`);
}

function refusal(text: string): ThresholdsError {
  try {
    parseThresholds(text, 'edited.yml');
  } catch (error) {
    assert.ok(error instanceof ThresholdsError, `a ThresholdsError, got ${String(error)}`);
    return error;
  }
  assert.fail('the edited file was accepted');
}

const line = THRESHOLDS.split('\n').indexOf(DEGRADED_LINE) + 1;

for (const [written, why] of [
  ['0x10', /got "0x10" \(not a plain decimal number\)/],
  ['0o17', /got "0o17" \(not a plain decimal number\)/],
  ['1e3', /got "1e3" \(not a plain decimal number\)/],
  ['1E-1', /got "1E-1" \(not a plain decimal number\)/],
  ['.inf', /got "\.inf" \(not a plain decimal number\)/],
  ['-.inf', /got "-\.inf" \(not a plain decimal number\)/],
  ['.nan', /got "\.nan" \(not a plain decimal number\)/],
  ['+0.5', /got "\+0\.5" \(not a plain decimal number\)/],
  ['.5', /got "\.5" \(not a plain decimal number\)/],
  ['1_000', /got "1_000" \(not a plain decimal number\)/],
  ['', /got "" \(empty\)/],
  ['-0.1', /got "-0\.1" \(below 0\)/],
  ['"0.5"', /got "0\.5" \(quoted text, not a number\)/],
  ['[0.5]', /got a list/],
] as const) {
  test(`a threshold written ${JSON.stringify(written)} is refused at its line, naming the field and why`, () => {
    const error = refusal(withDegraded(written));
    assert.equal(error.code, 'LAB_AUDIT_CONFIG');
    assert.match(
      error.message,
      new RegExp(`^edited\\.yml:${line}:\\d+: ${FIELD.replaceAll('.', '\\.')} must be a number >= 0; ${why.source}`),
    );
  });
}

test('plain decimals are read as written: integers, fractions, a leading zero read in decimal, -0 as 0', () => {
  for (const [written, value] of [
    ['0.8', 0.8],
    ['0', 0],
    ['00.5', 0.5],
    ['0.25', 0.25],
    ['-0', 0],
  ] as const) {
    const read = parseThresholds(withDegraded(written), 'edited.yml').rules.elu_saturation.degraded;
    assert.ok(Object.is(read, value), `${written} -> ${read}, expected ${value}`);
  }
});

test('the version is the integer 1 written in decimal: 0x1, 1.0 and 1e0 are refused', () => {
  for (const written of ['0x1', '1.0', '1e0', '0o1']) {
    const error = refusal(THRESHOLDS.replace(/^version: 1$/m, `version: ${written}`));
    assert.match(error.message, new RegExp(`^edited\\.yml:\\d+:\\d+: version must be 1; got "${written.replace('.', '\\.')}"$`));
  }
  assert.equal(parseThresholds(THRESHOLDS, 'thresholds.yml').rules.elu_saturation.degraded, 0.8);
});
