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
    {
      name: 'fault',
      durationSeconds: 5,
      faults: { blocking: { durationMs: 300, routes: ['orders'] } },
      streams: [{ kind: 'pressure', route: '/api/orders', connections: 2 }],
    },
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
  assert.match(
    problem((s) => ((s.phases[1] as Record<string, unknown>).durration = 3)),
    /^x\.scenario\.ts: phases\[1\]\.durration: unknown field; allowed: name, durationSeconds/,
  );
  assert.match(
    problem((s) => ((s.expectations[0] as Record<string, unknown>).signal = 'p99')),
    /expectations\[0\]\.signal: "p99" is not allowed; allowed: probeP99, coldProbeP99, rampP99/,
  );
  assert.match(
    problem((s) => ((s.expectations[0] as Record<string, unknown>).phase = 'nope')),
    /expectations\[0\]\.phase: "nope" is not allowed; allowed: baseline, fault$/,
  );
  assert.match(
    problem((s) => ((s.phases[1] as Record<string, unknown>).streams = [{ kind: 'flood', route: '/x' }])),
    /phases\[1\]\.streams\[0\]\.kind: "flood" is not allowed; allowed: pressure, ramp, rate, burst$/,
  );
  assert.match(
    problem((s) => ((s.phases[0] as Record<string, unknown>).name = 'fault')),
    /phases\[1\]\.name: duplicate phase name "fault"/,
  );
  assert.match(
    problem((s) => ((s.phases[1] as Record<string, unknown>).faults = { blocking: { routes: [1] } })),
    /phases\[1\]\.faults\.blocking\.routes: .*allowed: a string, a finite number/,
  );
  assert.match(
    problem((s) => ((s.expectations[0] as Record<string, unknown>).above = undefined)),
    /expectations\[0\]: states no bound; allowed: "above" and\/or "below"/,
  );
  assert.match(
    problem((s) => (s.quick = { phases: { nope: {} } } as never)),
    /quick\.phases\.nope: unknown field; allowed: baseline, fault/,
  );
  assert.match(
    problem((s) => (s.phases = Array.from({ length: 4 }, (_, i) => ({ name: `p${i}`, durationSeconds: 600 })))),
    /phases: add up to 2400 s; allowed: at most 1800 s/,
  );
  assert.match(
    problem((s) => (s.expectations = [{ leads: 'elu', before: 'probeP99', passIfLaterNeverCrosses: 'yes' }] as never)),
    /expectations\[0\]\.passIfLaterNeverCrosses: expected a boolean, got "yes"; allowed: true or false$/,
  );
  assert.match(
    problem((s) => (s.expectations = [{ leads: 'elu', before: 'elu' }] as never)),
    /expectations\[0\]\.before: is the same as "leads" \(elu\); allowed: another signal or stream$/,
  );
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
  assert.doesNotMatch(
    problem((s) => delete (s as Partial<typeof s>).title),
    /undefined/,
  );
});

test('the cold probe and the liveness probe are settable, each checked with the field, what was wrong and what is allowed', () => {
  const s = validateScenario(
    {
      ...valid(),
      coldProbe: { ratePerSecond: 20, sloMs: 250 },
      liveness: { periodSeconds: 2, failureThreshold: 2 },
      quick: { liveness: { periodSeconds: 1 } },
    },
    'x.scenario.ts',
  );
  assert.deepEqual(s.coldProbe, { ratePerSecond: 20, sloMs: 250 });
  assert.deepEqual(applyQuickProfile(s).liveness, { periodSeconds: 1, failureThreshold: 2 });
  assert.equal(
    problem((x) => ((x as Record<string, unknown>).coldProbe = { ratePerSecond: 500 })),
    'x.scenario.ts: coldProbe.ratePerSecond: got 500 (above 200); allowed: a number from 1 to 200 (each request opens a connection)',
  );
  assert.equal(
    problem((x) => ((x as Record<string, unknown>).liveness = { timeoutSeconds: 0.5 })),
    'x.scenario.ts: liveness.timeoutSeconds: got 0.5 (not an integer); allowed: an integer from 1 to 60',
  );
  assert.match(
    problem((x) => ((x as Record<string, unknown>).liveness = { period: 5 })),
    /liveness\.period: unknown field; allowed: route, timeoutSeconds, periodSeconds, failureThreshold$/,
  );
  assert.match(
    problem((x) => ((x as Record<string, unknown>).liveness = { failureThreshold: 0 })),
    /liveness\.failureThreshold: got 0 \(below 1\); allowed: an integer from 1 to 100$/,
  );
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

test('traffic DSL: each bad field is refused with the file, the field and what is allowed', () => {
  const any = (s: ReturnType<typeof valid>): Record<string, unknown> => s as unknown as Record<string, unknown>;
  const rate = (extra: Record<string, unknown>) => ({ kind: 'rate', name: 'orders', route: '/orders', ratePerSecond: 1, ...extra });
  const cases: [(s: ReturnType<typeof valid>) => void, RegExp][] = [
    [
      (s) => (any(s).streams = [rate({ ratePerSecond: 0.001 })]),
      /x\.scenario\.ts: streams\[0\]\.ratePerSecond: got 0\.001 \(below 0\.01\); allowed: a number from 0\.01 to 5000/,
    ],
    [(s) => (any(s).streams = [rate({ headers: { Connection: 'close' } })]), /streams\[0\]\.headers\.Connection: is set by the sender/],
    [(s) => (any(s).streams = [rate({ headers: { 'bad header': 'x' } })]), /streams\[0\]\.headers\.bad header: is not a valid header name/],
    [(s) => (any(s).streams = [rate({ headers: { 'x-a': 'one\r\ntwo' } })]), /streams\[0\]\.headers\.x-a: has a line break/],
    [
      (s) => (any(s).streams = [rate({ body: { a: 1 } })]),
      /streams\[0\]\.body: a body with method GET \(the default\); allowed: a body with POST/,
    ],
    [
      (s) => (any(s).streams = [rate({ method: 'POST', body: 1, bodies: { values: [1], pick: 'rotate' } })]),
      /streams\[0\]\.bodies: given with "body"/,
    ],
    [
      (s) =>
        (any(s).streams = [rate({ method: 'POST', bodies: { values: [1], pick: 'rotate' }, variants: { values: [{}], pick: 'rotate' } })]),
      /streams\[0\]\.variants: given with "bodies"; allowed: either a list of bodies or a list of variants/,
    ],
    [
      (s) => (any(s).streams = [rate({ variants: { values: [{ headers: { 'x-a': '1' } }, { body: { a: 1 } }], pick: 'rotate' } })]),
      /streams\[0\]\.variants\.values\[1\]\.body: a body with method GET \(the default\)/,
    ],
    [
      (s) => (any(s).streams = [rate({ variants: { values: [{ header: { 'x-a': '1' } }], pick: 'rotate' } })]),
      /streams\[0\]\.variants\.values\[0\]\.header: unknown field; allowed: headers, query, body/,
    ],
    [
      (s) => (any(s).streams = [rate({ variants: { values: [{ headers: { 'X-Request-Start': '1' } }], pick: 'rotate' } })]),
      /streams\[0\]\.variants\.values\[0\]\.headers\.X-Request-Start: is set by the sender/,
    ],
    [(s) => (any(s).streams = [rate({ variants: { values: [], pick: 'rotate' } })]), /streams\[0\]\.variants\.values: /],
    [
      (s) => (any(s).streams = [rate({ variants: { values: [{ query: { '': 'x' } }], pick: 'shuffle' } })]),
      /streams\[0\]\.variants\.values\[0\]\.query\.: is empty/,
    ],
    [
      (s) => (any(s).streams = [rate({ variants: { values: [{}], pick: 'shuffle' } })]),
      /streams\[0\]\.variants\.pick: "shuffle" is not allowed; allowed: rotate, sample/,
    ],
    [
      (s) => (any(s).streams = [rate({ headers: { 'x-name': 'Zoë' } })]),
      /streams\[0\]\.headers\.x-name: has a character outside printable ASCII/,
    ],
    [
      (s) => (any(s).streams = [rate({ method: 'POST', bodies: { values: [1], pick: 'shuffle' } })]),
      /streams\[0\]\.bodies\.pick: "shuffle" is not allowed; allowed: rotate, sample/,
    ],
    [
      (s) => (any(s).streams = [rate({ method: 'TRACE' })]),
      /streams\[0\]\.method: "TRACE" is not allowed; allowed: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS/,
    ],
    [(s) => (any(s).streams = [rate({ name: undefined })]), /streams\[0\]\.name: is missing/],
    [
      (s) => (any(s).streams = [rate({ phases: { from: 'fault', to: 'baseline' } })]),
      /streams\[0\]\.phases\.to: "baseline" comes before "fault"/,
    ],
    [
      (s) => (any(s).streams = [rate({ phases: { from: 'nope', to: 'fault' } })]),
      /streams\[0\]\.phases\.from: "nope" is not allowed; allowed: baseline, fault/,
    ],
    [
      (s) => (any(s).streams = [{ kind: 'burst', name: 'b', route: '/x', atSecond: 8, count: 1 }]),
      /streams\[0\]\.atSecond: 8 is not within the stream's 8 s/,
    ],
    // The quick profile shortens "fault" to 2 s: a burst at 6 s no longer fits.
    [
      (s) => (any(s).streams = [{ kind: 'burst', name: 'b', route: '/x', atSecond: 6, count: 1 }]),
      /streams\[0\]\.atSecond: 6 is not within the stream's 5 s under the quick profile/,
    ],
    [
      (s) => (s.phases[0] = { ...s.phases[0], streams: [{ kind: 'burst', route: '/x', atSecond: 3, count: 2 }] } as never),
      /phases\[0\]\.streams\[0\]\.atSecond: 3 is not within the phase's 3 s/,
    ],
    [
      (s) => (s.phases[0] = { ...s.phases[0], streams: [{ kind: 'burst', route: '/x', atSecond: 0, count: 5000 }] } as never),
      /phases\[0\]\.streams\[0\]\.count: got 5000 \(above 1000\); allowed: an integer from 1 to 1000/,
    ],
    [
      (s) => {
        s.phases[1] = { ...s.phases[1], streams: [rate({})] } as never;
        any(s).streams = [rate({})];
      },
      /phases\[1\]\.streams\[0\]\.name: "orders" is also a scenario-level stream/,
    ],
    [
      (s) => {
        s.phases[1] = { ...s.phases[1], streams: [] } as never;
        s.expectations = [{ phase: 'fault', signal: 'probeP99', stream: 'orders', above: 1 } as never];
      },
      /expectations\[0\]\.stream: names a stream, but the scenario has no named load streams/,
    ],
    [
      (s) => {
        any(s).streams = [rate({})];
        s.expectations = [{ phase: 'fault', signal: 'rampP99', stream: 'other', above: 1 } as never];
      },
      /expectations\[0\]\.stream: "other" is not allowed; allowed: orders, pressure-1/,
    ],
    [
      (s) => {
        any(s).streams = [rate({})];
        s.expectations = [{ phase: 'fault', signal: 'loopDelayP99', stream: 'orders', above: 1 } as never];
      },
      /expectations\[0\]\.signal: "loopDelayP99" is not measured per stream; allowed: with "stream": rampP99 or errorRate/,
    ],
    // A stream's own SLO: the threshold of its lead-time row.
    [(s) => (any(s).streams = [rate({ sloMs: 0 })]), /streams\[0\]\.sloMs: got 0 \(below 1\); allowed: a number from 1 to 30000/],
    [
      (s) =>
        (s.phases[0] = { ...s.phases[0], streams: [{ kind: 'rate', name: 'r', route: '/x', ratePerSecond: 1, sloMs: '200' }] } as never),
      /phases\[0\]\.streams\[0\]\.sloMs: expected a number, got "200"/,
    ],
    [
      (s) => {
        s.phases[0] = { ...s.phases[0], streams: [{ kind: 'rate', name: 'r', route: '/x', ratePerSecond: 1, sloMs: 200 }] } as never;
        s.phases[1] = { ...s.phases[1], streams: [{ kind: 'rate', name: 'r', route: '/x', ratePerSecond: 2, sloMs: 300 }] } as never;
      },
      /phases\[1\]\.streams\[0\]\.sloMs: 300 differs from phases\[0\]\.streams\[0\]\.sloMs \(200\) for the same stream "r"; allowed: one sloMs per stream name/,
    ],
    // A lead expectation names a stream's row: only open-loop streams have one (not pressure-1).
    [
      (s) => {
        any(s).streams = [rate({})];
        s.expectations = [{ leads: { stream: 'pressure-1' }, before: 'probeP99' } as never];
      },
      /expectations\[0\]\.leads\.stream: "pressure-1" is not allowed; allowed: orders$/,
    ],
    [
      (s) => {
        any(s).streams = [rate({})];
        s.expectations = [{ leads: 'elu', before: { stream: 'orders' }, bySeconds: 1 } as never, { leads: 42, before: 'elu' } as never];
      },
      /expectations\[1\]\.leads: 42 is not allowed; allowed: a signal id \(probeP99, .*\), or \{ stream \} with a stream of orders$/,
    ],
    [
      (s) => {
        any(s).streams = [rate({})];
        s.expectations = [{ leads: { stream: 'orders' }, before: { stream: 'orders' } } as never];
      },
      /expectations\[0\]\.before: is the same as "leads" \(stream orders\)/,
    ],
    [
      (s) => (s.expectations = [{ leads: { stream: 'orders' }, before: 'elu' } as never]),
      /expectations\[0\]\.leads\.stream: names a stream, but the scenario has no open-loop load streams/,
    ],
    [
      (s) => {
        any(s).streams = [rate({})];
        s.expectations = [{ leads: { name: 'orders' }, before: 'elu' } as never];
      },
      /expectations\[0\]\.leads\.name: unknown field; allowed: stream/,
    ],
  ];
  for (const [mutate, expected] of cases) assert.match(problem(mutate), expected);
});

test('traffic DSL: a valid scenario-level stream and a single request keep their fields', () => {
  const s = valid() as ReturnType<typeof valid> & { streams?: unknown[] };
  s.streams = [
    {
      kind: 'rate',
      name: 'orders',
      route: '/orders',
      method: 'POST',
      ratePerSecond: 0.01,
      headers: { 'x-customer': 'acme' },
      query: { q: '1' },
      bodies: { values: [{ a: 1 }], pick: 'sample', seed: 3 },
      phases: { from: 'baseline', to: 'fault' },
    },
    {
      kind: 'rate',
      name: 'customers',
      route: '/orders',
      method: 'PUT',
      ratePerSecond: 2,
      variants: { values: [{ headers: { 'x-customer': 'a' }, query: { id: '1' }, body: [1] }, {}], pick: 'rotate' },
    },
    { kind: 'burst', name: 'one', route: '/x', atSecond: 4, count: 1, sloMs: 250 },
  ];
  s.expectations = [...s.expectations, { leads: { stream: 'one' }, before: 'probeP99', bySeconds: 1 } as never];
  const out = validateScenario(s, 'x.scenario.ts');
  assert.deepEqual(out.streams?.[0], s.streams[0]);
  assert.deepEqual(out.streams?.[1], s.streams[1]);
  assert.deepEqual(out.streams?.[2], s.streams[2]);
  assert.deepEqual(out.expectations.at(-1), { leads: { stream: 'one' }, before: 'probeP99', bySeconds: 1 });
});
