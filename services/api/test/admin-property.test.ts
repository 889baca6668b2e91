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
  body: fc.option(fc.oneof(plausibleBody, plausibleBody, anyJson, brokenJson), { nil: undefined }),
  contentType: fc.constantFrom('application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', undefined),
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
        // Every refusal says what was wrong.
        assert.ok(JSON.parse(response.body).message, `${response.status} without a message: ${response.body}`);
      }
      if (response.status === 200 && req.method === 'PUT') {
        const fault = JSON.parse(response.body).fault;
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
