import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { FAULTS_DOC_PATH, renderFaultsDoc } from '../src/docs/faults-doc.js';
import {
  catalogue,
  defaultParams,
  FAULT_NAMES,
  MITIGATION_NAMES,
  type ParamSpec,
  ROUTE_NAMES,
  TOGGLE_NAMES,
  type ToggleSpec,
} from '../src/faults/catalogue.js';
import { FaultState } from '../src/faults/state.js';
import { validateToggleBody } from '../src/faults/validate.js';
import { ApiError } from '../src/errors.js';

describe('fault catalogue', () => {
  test('names and kinds are the contract the runner, auditor and dashboards code against', () => {
    assert.deepEqual(FAULT_NAMES, ['blocking', 'executor-saturation', 'threadpool-saturation', 'queue-amplification']);
    assert.deepEqual(MITIGATION_NAMES, ['offload', 'load-shedding', 'retry-budget', 'deadline-propagation', 'larger-pool']);
    assert.deepEqual(Object.keys(catalogue.blocking.params), ['mode', 'durationMs', 'fraction', 'routes', 'trigger']);
    assert.deepEqual(Object.keys(catalogue['executor-saturation'].params), ['threads', 'taskMs', 'maxQueue', 'trigger']);
    assert.deepEqual(Object.keys(catalogue['threadpool-saturation'].params), ['jobsPerRequest', 'iterations', 'concurrency', 'trigger']);
    assert.deepEqual(Object.keys(catalogue['queue-amplification'].params), [
      'fanOut',
      'downstreamLatencyMs',
      'downstreamConcurrency',
      'timeoutMs',
      'retries',
      'backoffMs',
      'queueLimit',
      'trigger',
    ]);
    // Every fault takes an input trigger; a GET-only route cannot carry a body.
    assert.deepEqual(catalogue['threadpool-saturation'].params.trigger.sources, ['header', 'query']);
    for (const name of FAULT_NAMES) assert.equal(catalogue[name].params.trigger.default, '', `${name}: no trigger by default`);
  });

  test('every default lies within its range and every relation points both ways', () => {
    for (const name of TOGGLE_NAMES) {
      const spec: ToggleSpec = catalogue[name];
      assert.ok(spec.description.length > 40 && spec.observe.length > 20, `${name} explains itself`);
      for (const route of spec.routes) assert.ok(ROUTE_NAMES.includes(route), `${name}: route ${route}`);
      for (const [param, p] of Object.entries(spec.params) as [string, ParamSpec][]) {
        if (p.type === 'integer' || p.type === 'number') {
          assert.ok(p.min <= p.default && p.default <= p.max, `${name}.${param} default within range`);
        } else if (p.type === 'enum') {
          assert.ok(p.values.includes(p.default), `${name}.${param}`);
        } else if (p.type === 'trigger') {
          assert.equal(p.default, '', `${name}.${param}: no trigger by default`);
        } else {
          assert.ok(p.default.length > 0 && p.default.every((v) => p.values.includes(v)), `${name}.${param}`);
        }
      }
      for (const other of spec.related) {
        assert.ok(TOGGLE_NAMES.includes(other as never), `${name} relates to unknown ${other}`);
        const back: ToggleSpec = catalogue[other as keyof typeof catalogue];
        assert.notEqual(back.kind, spec.kind, `${name} ↔ ${other} pair a fault with a mitigation`);
        assert.ok(back.related.includes(name), `${other} lists ${name} back`);
      }
    }
  });

  test('docs/faults.md is generated from the catalogue and up to date', () => {
    const committed = readFileSync(FAULTS_DOC_PATH, 'utf8');
    // ok() rather than equal(): on failure the message matters, not two 15 kB strings.
    assert.ok(committed === renderFaultsDoc(), 'docs/faults.md is stale: run `pnpm --filter @runtime-lab/api faults-doc`');
    for (const name of TOGGLE_NAMES) assert.match(committed, new RegExp(`### \`${name}\``));
  });
});

describe('validateToggleBody', () => {
  test('no body and {} give the defaults with the default TTL', () => {
    for (const body of [undefined, {}]) {
      const result = validateToggleBody('blocking', body);
      assert.deepEqual(result.params, defaultParams('blocking'));
      assert.equal(result.ttlSeconds, 600);
      assert.deepEqual(result.clamped, []);
    }
  });

  test('values above a maximum are clamped and reported, including ttlSeconds', () => {
    const result = validateToggleBody('blocking', { durationMs: 99_999, fraction: 7, ttlSeconds: 99_999 });
    assert.equal(result.params.durationMs, 30_000);
    assert.equal(result.params.fraction, 1);
    assert.equal(result.ttlSeconds, 3600);
    assert.deepEqual(result.clamped, [
      { param: 'durationMs', requested: 99_999, applied: 30_000 },
      { param: 'fraction', requested: 7, applied: 1 },
      { param: 'ttlSeconds', requested: 99_999, applied: 3600 },
    ]);
  });

  test('each kind of mistake is a 400 that names the field and what is allowed', () => {
    const cases: [unknown, RegExp][] = [
      [{ durationMs: '200' }, /durationMs: expected an integer ≥ 1 \(values above 30000 are clamped to 30000\), got "200"/],
      [{ durationMs: 1.5 }, /durationMs: expected an integer/],
      [{ durationMs: 0 }, /durationMs: expected an integer ≥ 1 .*, got 0 \(below 1\)/],
      [{ fraction: -0.1 }, /fraction: expected a number ≥ 0 \(values above 1 are clamped to 1\)/],
      [{ mode: 'spin' }, /mode: expected one of "cpu", "sleep", .*"child-process", got "spin"/],
      [{ routes: [] }, /routes: expected a non-empty array/],
      [{ routes: ['orders', 'nope'] }, /"nope" is not allowed/],
      [{ routes: ['orders', 'orders'] }, /duplicates/],
      [{ ttlSeconds: 0 }, /ttlSeconds: expected an integer ≥ 1 \(values above 3600 are clamped to 3600\)/],
      [{ durationMs: null }, /durationMs: .*got null/],
      [{ nope: 1 }, /"nope" is not a parameter of blocking; allowed: mode, durationMs, fraction, routes, trigger, ttlSeconds/],
    ];
    for (const [body, message] of cases) {
      assert.throws(
        () => validateToggleBody('blocking', body),
        (error: unknown) => error instanceof ApiError && error.statusCode === 400 && message.test(error.message),
        JSON.stringify(body),
      );
    }
    for (const body of [null, [], 'cpu', 3, true]) {
      assert.throws(
        () => validateToggleBody('blocking', body),
        (error: unknown) => error instanceof ApiError && error.code === 'LAB_INVALID_BODY' && /must be a JSON object/.test(error.message),
      );
    }
  });

  test('sets keep the catalogue order so equal sets look equal', () => {
    assert.deepEqual(validateToggleBody('blocking', { routes: ['ping', 'orders'] }).params.routes, ['ping', 'orders']);
    assert.deepEqual(validateToggleBody('blocking', { routes: ['checkout', 'ping'] }).params.routes, ['ping', 'checkout']);
  });
});

describe('FaultState', () => {
  test('a toggle turns itself off when its TTL runs out, and listeners hear it', async () => {
    const state = new FaultState();
    const changes: string[] = [];
    state.onChange((c) => {
      changes.push(`${c.name}:${c.active}:${c.reason}`);
      return undefined;
    });
    await state.activate('retry-budget', defaultParams('retry-budget'), 1);
    const view = state.view('retry-budget');
    assert.equal(view.active, true);
    assert.equal(view.remainingSeconds, 1);
    await new Promise((resolve) => setTimeout(resolve, 1300));
    assert.equal(state.isActive('retry-budget'), false);
    assert.deepEqual(changes, ['retry-budget:true:put', 'retry-budget:false:expired']);
  });

  test('a second PUT replaces the parameters and renews the TTL', async () => {
    const state = new FaultState();
    await state.activate('blocking', { ...defaultParams('blocking'), durationMs: 50 }, 1);
    await state.activate('blocking', { ...defaultParams('blocking'), durationMs: 70 }, 3);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    assert.equal(state.get('blocking')?.durationMs, 70, 'the first TTL timer must not turn the renewed toggle off');
    await state.reset();
    assert.equal(state.list().filter((t) => t.active).length, 0);
  });

  test('a failing listener becomes a warning; the change still stands', async () => {
    const state = new FaultState();
    state.onChange(() => {
      throw new Error('downstream unreachable');
    });
    const warnings = await state.activate('offload', defaultParams('offload'), 10);
    assert.deepEqual(warnings, ['offload: downstream unreachable']);
    assert.equal(state.isActive('offload'), true);
    await state.reset();
  });
});
