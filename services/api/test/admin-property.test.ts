// Property: whatever a client sends to the admin API, the answer is never a 5xx, the process
// survives, and a 4xx leaves the state exactly as it was. Real HTTP (a listener on port 0),
// so Fastify's own body parsing and content-type handling are part of what is tested.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { catalogue, TOGGLE_NAMES } from '../src/faults/catalogue.js';
import { send } from '@runtime-lab/test-kit';
import { build, stableState } from './helper.js';

let app: FastifyInstance;
let base: string;

before(async () => {
  app = await build();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

after(async () => {
  await app.close();
});

const paramNames = [...new Set(Object.values(catalogue).flatMap((spec) => Object.keys(spec.params))), 'ttlSeconds'];

// Values near the edges of what the catalogue accepts, plus every JSON type.
const edgyValue = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.constantFrom(0, 1, 0.5, 1e308, -0, 30_000, 30_001, 3600, 3601, 10_000, 2 ** 53),
  fc.constantFrom('cpu', 'chunked', 'orders', 'ping', '', '200', 'NaN'),
  fc.array(fc.constantFrom('ping', 'orders', 'report', 'hash', 'config', 'checkout', 'nope'), { maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);

const plausibleBody = fc.dictionary(fc.constantFrom(...paramNames), edgyValue, { maxKeys: 5 }).map((b) => JSON.stringify(b));
// Numbers as JSON text, which JSON.stringify cannot produce: overflow to ±Infinity (1e400),
// underflow to 0, negative zero, exponents, fractions, more digits than a double holds.
const numberText = fc.oneof(
  fc.constantFrom(
    '1e400',
    '-1e400',
    '1E3',
    '2e-1',
    '1e-400',
    '-0',
    '-0.0',
    '0.0',
    '1.5',
    '0.5',
    '1e308',
    '123456789012345678901234567890',
    '-1',
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => d.toExponential()),
  fc.integer({ min: 0, max: 40_000 }).map(String),
);
const numberTextBody = fc
  .array(fc.tuple(fc.constantFrom(...paramNames), numberText), { minLength: 1, maxLength: 3 })
  .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`);
const anyJson = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v));
const brokenJson = fc.oneof(
  plausibleBody.map((b) => b.slice(0, Math.max(0, b.length - 1))),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('{', '{"durationMs":}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{}}}', 'null', '""', 'NaN', '{}{}'),
);

const requestArb = fc.record({
  method: fc.constantFrom('PUT', 'PUT', 'PUT', 'PUT', 'DELETE', 'POST', 'PATCH'),
  name: fc.oneof(
    fc.constantFrom(...TOGGLE_NAMES),
    fc.constantFrom(...TOGGLE_NAMES),
    fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s)),
    fc.constantFrom('..', '%00', 'BLOCKING', 'blocking%20'),
  ),
  body: fc.option(fc.oneof(plausibleBody, plausibleBody, numberTextBody, numberTextBody, anyJson, brokenJson), { nil: undefined }),
  contentType: fc.constantFrom(
    'application/json',
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    undefined,
  ),
});

async function currentState(): Promise<unknown[]> {
  const response = await send(`${base}/admin/faults`);
  assert.equal(response.status, 200);
  return stableState(JSON.parse(response.body).faults);
}

test('>= 1000 random and malformed admin requests: never a 5xx, and a 4xx changes nothing', async () => {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(requestArb, async (req) => {
      const before = await currentState();
      const headers: Record<string, string> = {};
      if (req.contentType && req.body !== undefined) headers['content-type'] = req.contentType;
      const response = await send(`${base}/admin/faults/${req.name}`, {
        method: req.method,
        headers,
        ...(req.body === undefined ? {} : { body: req.body }),
      });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      assert.ok(response.status < 500, `${req.method} ${req.name} ${req.body} -> ${response.status} ${response.body}`);
      if (response.status >= 400) {
        assert.deepEqual(await currentState(), before, `state changed after ${response.status} for ${req.method} ${req.name} ${req.body}`);
        // Every refusal says what was wrong; a number is never shown as the null JSON makes of Infinity.
        const message = JSON.parse(response.body).message as string;
        assert.ok(message, `${response.status} without a message: ${response.body}`);
        if (response.status === 400 && req.body !== undefined && /^\{.*\d/.test(req.body) && !/null/.test(req.body)) {
          assert.doesNotMatch(message, /got null/, `${req.body} -> ${message}`);
        }
      }
      if (response.status === 200 && req.method === 'PUT') {
        const { fault, clamped } = JSON.parse(response.body) as {
          fault: { name: keyof typeof catalogue; params: Record<string, unknown>; remainingSeconds: number | null };
          clamped: Array<{ param: string; requested: unknown; applied: number }>;
        };
        // Whatever numbers came in, the applied ones are finite, integers where the catalogue
        // says so, inside [min, max]; a clamp reports what was asked (Infinity by name).
        const specs = catalogue[fault.name].params as Record<string, { type: string; min?: number; max?: number }>;
        for (const [key, value] of Object.entries(fault.params)) {
          const spec = specs[key];
          if (spec?.type !== 'integer' && spec?.type !== 'number') continue;
          assert.ok(typeof value === 'number' && Number.isFinite(value), `${key}=${value} from ${req.body}`);
          if (spec.type === 'integer') assert.ok(Number.isInteger(value), `${key}=${value} from ${req.body}`);
          assert.ok(value >= (spec.min as number) && value <= (spec.max as number), `${key}=${value} from ${req.body}`);
        }
        for (const c of clamped)
          assert.ok(c.requested === 'Infinity' || (typeof c.requested === 'number' && c.requested > c.applied), JSON.stringify(c));
        const listed = (await currentState()).find((t) => (t as { name: string }).name === fault.name);
        assert.deepEqual(listed, stableState([fault])[0]);
      }
    }),
    { numRuns: 1200 },
  );
  // The generators must reach both sides of the property, or it proves little.
  const count = (predicate: (status: number) => boolean) => [...statuses].filter(([s]) => predicate(s)).reduce((a, [, n]) => a + n, 0);
  assert.ok(count((s) => s === 200) >= 100, `too few accepted requests: ${JSON.stringify([...statuses])}`);
  assert.ok(count((s) => s >= 400) >= 300, `too few refused requests: ${JSON.stringify([...statuses])}`);
  // The process is alive and still serves.
  assert.equal((await send(`${base}/api/ping`)).status, 200);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
});

test('numbers at the edges, one by one: Infinity is clamped and named, -Infinity and fractions are refused by name', async () => {
  const put = async (body: string) => {
    const response = await send(`${base}/admin/faults/blocking`, { method: 'PUT', body });
    return { status: response.status, json: JSON.parse(response.body) as Record<string, unknown> & { message?: string } };
  };
  try {
    const huge = await put('{"fraction":1e400}');
    assert.equal(huge.status, 200, JSON.stringify(huge.json));
    assert.deepEqual(huge.json.clamped, [{ param: 'fraction', requested: 'Infinity', applied: 1 }]);
    const before = await currentState();
    for (const [body, words] of [
      ['{"fraction":-1e400}', /fraction: expected a number ≥ 0 \(values above 1 are clamped to 1\), got -Infinity \(below 0\)/],
      [
        '{"durationMs":1.5}',
        /durationMs: expected an integer ≥ 1 \(values above 30000 are clamped to 30000\), got 1\.5 \(not an integer\)/,
      ],
      ['{"durationMs":"16"}', /durationMs: .*got "16" \(a string, not a number\)/],
      ['{"ttlSeconds":1e400,"durationMs":-1e400}', /durationMs: .*got -Infinity \(below/],
      // A non-number field given an overflowing number: named as sent, not as JSON.stringify's null
      // (the property test found this one).
      ['{"mode":1e400}', /mode: expected one of .*, got Infinity$/],
    ] as const) {
      const refused = await put(body);
      assert.equal(refused.status, 400, body);
      assert.match(refused.json.message ?? '', words, body);
      assert.deepEqual(await currentState(), before, `state changed after ${body}`);
    }
    const negativeZero = await put('{"fraction":-0}');
    assert.equal(negativeZero.status, 200);
    assert.equal((negativeZero.json.fault as { params: { fraction: number } }).params.fraction, 0);
  } finally {
    await send(`${base}/admin/faults`, { method: 'DELETE' });
  }
});

test('POST /api/report rows: no type coercion ("0x10" was run as 16 rows), edges refused by name', async () => {
  for (const body of [
    '{"rows":"0x10"}',
    '{"rows":"16"}',
    '{"rows":1e400}',
    '{"rows":1.5}',
    '{"rows":0}',
    '{"rows":-0.0001}',
    '{"rows":null}',
    '{"rows":5,"x":1}',
    '[5]',
  ]) {
    const response = await send(`${base}/api/report`, { method: 'POST', body });
    assert.equal(response.status, 400, `${body} -> ${response.body}`);
    const { error, message } = JSON.parse(response.body) as { error: string; message: string };
    assert.equal(error, 'LAB_INVALID_BODY', body);
    assert.match(message, /rows|\{"rows": n\}/, body);
  }
  assert.match(
    JSON.parse((await send(`${base}/api/report`, { method: 'POST', body: '{"rows":"0x10"}' })).body).message,
    /rows: expected an integer from 1 to 100000, got "0x10" \(a string, not a number\)/,
  );
  for (const body of ['{"rows":5}', '{"rows":-0}', '{}', 'null']) {
    const response = await send(`${base}/api/report`, { method: 'POST', body });
    assert.equal(response.status, body === '{"rows":-0}' ? 400 : 200, `${body} -> ${response.body}`);
  }
});
