import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkJsonNumber, formatInstant, LabError, readDecimal, readInstant, redactText } from '../src/index.js';

const PORT = { integer: true, min: 0, max: 65_535 };
const FRACTION = { integer: false, min: 0, max: 1, clampAboveMax: true };

describe('readDecimal', () => {
  test('refuses every spelling Number() would accept but a person would not mean', () => {
    for (const text of [
      '',
      ' ',
      ' 80',
      '80 ',
      '+80',
      '0x10',
      '0o10',
      '0b10',
      '1e3',
      '1E3',
      'Infinity',
      '-Infinity',
      'NaN',
      '.5',
      '5.',
      '1_000',
      '80abc',
    ]) {
      const reading = readDecimal(text, { integer: false, min: -1e9, max: 1e9 });
      assert.equal(reading.ok, false, JSON.stringify(text));
      if (!reading.ok) assert.match(reading.problem, /^got "/);
    }
  });
  test('empty text says so (Number("") is 0)', () => {
    assert.deepEqual(readDecimal('', PORT), { ok: false, problem: 'got "" (empty)' });
  });
  test('fractions, negatives and huge values against an integer range', () => {
    assert.deepEqual(readDecimal('1.5', PORT), { ok: false, problem: 'got "1.5" (not an integer)' });
    assert.deepEqual(readDecimal('-1', PORT), { ok: false, problem: 'got "-1" (below 0)' });
    assert.deepEqual(readDecimal('99999999999999999999999', PORT), { ok: false, problem: 'got "99999999999999999999999" (above 65535)' });
    assert.deepEqual(readDecimal('0.25', FRACTION), { ok: true, value: 0.25 });
    assert.deepEqual(readDecimal('7', FRACTION), { ok: true, value: 1, clampedFrom: 7 });
  });
  test('negative zero reads as 0', () => {
    const reading = readDecimal('-0', PORT);
    assert.ok(reading.ok && Object.is(reading.value, 0));
  });
  test('property: any accepted text is plain decimal digits and lies in range', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const reading = readDecimal(text, PORT);
        if (reading.ok) {
          assert.match(text, /^-?\d+$/);
          assert.ok(reading.value >= 0 && reading.value <= 65_535 && Number.isInteger(reading.value));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('checkJsonNumber', () => {
  test('JSON 1e400 (Infinity) is clamped where the rule clamps, refused where it does not', () => {
    assert.deepEqual(checkJsonNumber(JSON.parse('1e400'), FRACTION), { ok: true, value: 1, clampedFrom: Number.POSITIVE_INFINITY });
    assert.deepEqual(checkJsonNumber(JSON.parse('1e400'), PORT), { ok: false, problem: 'got Infinity (above 65535)' });
    assert.deepEqual(checkJsonNumber(JSON.parse('-1e400'), FRACTION), { ok: false, problem: 'got -Infinity (below 0)' });
    // An unbounded rule still wants a finite number.
    const any = { integer: false, min: Number.NEGATIVE_INFINITY, max: Number.POSITIVE_INFINITY };
    assert.deepEqual(checkJsonNumber(Number.POSITIVE_INFINITY, any), { ok: false, problem: 'got Infinity (not a finite number)' });
    assert.deepEqual(checkJsonNumber(Number.NaN, any), { ok: false, problem: 'got NaN' });
  });
  test('strings, null, fractions for integers; -0 becomes 0', () => {
    assert.deepEqual(checkJsonNumber('5', PORT), { ok: false, problem: 'got "5" (a string, not a number)' });
    assert.deepEqual(checkJsonNumber(null, PORT), { ok: false, problem: 'got null' });
    assert.deepEqual(checkJsonNumber(2.5, PORT), { ok: false, problem: 'got 2.5 (not an integer)' });
    const zero = checkJsonNumber(JSON.parse('-0'), PORT);
    assert.ok(zero.ok && Object.is(zero.value, 0));
  });
});

describe('readInstant', () => {
  test('a time without an offset is refused with the fix in the message', () => {
    const reading = readInstant('2026-11-29T18:47:01');
    assert.equal(reading.ok, false);
    if (!reading.ok) assert.match(reading.problem, /no offset: add Z for UTC or the zone's offset such as \+09:00/);
  });
  test('offsets and unix seconds give the same instant', () => {
    const utc = readInstant('2026-11-29T18:47:01Z');
    assert.deepEqual(utc, { ok: true, epochMs: Date.UTC(2026, 10, 29, 18, 47, 1) });
    assert.deepEqual(readInstant('2026-11-30T03:47:01+09:00'), utc);
    assert.deepEqual(readInstant(String(Date.UTC(2026, 10, 29, 18, 47, 1) / 1000)), utc);
  });
  test('dates that do not exist and other shapes are refused', () => {
    for (const text of [
      '2026-02-30T00:00:00Z',
      '2026-11-29',
      '2026-11-29 18:47:01Z',
      '2026-11-29T18:47Z',
      'yesterday',
      '1e9',
      '99999999999999999',
    ]) {
      assert.equal(readInstant(text).ok, false, text);
    }
  });
  test('written times are UTC with Z', () => {
    assert.equal(formatInstant(Date.UTC(2026, 10, 29, 18, 47, 1)), '2026-11-29T18:47:01Z');
    assert.equal(formatInstant(Date.UTC(2026, 10, 29, 18, 47, 1, 250)), '2026-11-29T18:47:01.250Z');
  });
});

describe('redactText', () => {
  test('known secrets, credential query parameters, user-info and bearer values', () => {
    assert.equal(redactText('GET /admin?token=abc&x=1', []), 'GET /admin?token=[redacted]&x=1');
    assert.equal(redactText('/a?x=1&access_token=zz#f'), '/a?x=1&access_token=[redacted]#f');
    assert.equal(redactText('could not reach http://me:pw@prom:9090/api'), 'could not reach http://[redacted]@prom:9090/api');
    assert.equal(redactText('authorization: Bearer abc.def'), 'authorization: Bearer [redacted]');
    assert.equal(redactText('the value s3cret leaked', ['s3cret', undefined, '']), 'the value [redacted] leaked');
    assert.equal(redactText('http://127.0.0.1:8080/api/ping?tokens=1'), 'http://127.0.0.1:8080/api/ping?tokens=1');
  });
});

describe('LabError', () => {
  class ExampleError extends LabError<'LAB_EXAMPLE_USAGE'> {}

  test("a package's subclass keeps its code, its own name, exit code 2 unless told, and its cause", () => {
    const cause = new Error('underlying');
    const error = new ExampleError('LAB_EXAMPLE_USAGE', 'bad --rate: expected a number', { cause });
    assert.ok(error instanceof LabError && error instanceof ExampleError && error instanceof Error);
    assert.equal(error.name, 'ExampleError');
    assert.equal(error.code, 'LAB_EXAMPLE_USAGE');
    assert.equal(error.exitCode, 2);
    assert.equal(error.cause, cause);
    assert.equal(new ExampleError('LAB_EXAMPLE_USAGE', 'x', { exitCode: 1 }).exitCode, 1);
    assert.equal('cause' in new ExampleError('LAB_EXAMPLE_USAGE', 'x'), false);
  });
});
