// Numbers at the edges, through the real CLI against real services, and through the services'
// own environment: "", hex, exponent, Infinity, NaN, fractions for integers, below the minimum
// are refused with exit 2 naming the field and what is allowed, and change nothing; above the
// maximum is clamped and said; -0 is 0.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { API_ENTRY, DOWNSTREAM_ENTRY } from '../src/paths.js';
import { type StartedService, startServices, stopServices } from '../src/services.js';
import { freeServicePorts, lab } from '@runtime-lab/test-kit';
import { AdminClient } from '@runtime-lab/scenarios';

describe('lab fault set: numbers at the edges (real api)', () => {
  let services: StartedService[] = [];
  let apiUrl = '';
  before(async () => {
    const started = await startServices({
      ports: await freeServicePorts(),
      logDir: join(mkdtempSync(join(tmpdir(), 'lab-numbers-')), 'logs'),
    });
    services = started.services;
    apiUrl = started.urls.apiUrl;
  });
  after(async () => {
    await stopServices(services);
  });

  const faults = async () => {
    const listed = await lab(['fault', 'list', '--api', apiUrl]);
    assert.equal(listed.code, 0, listed.stderr);
    return listed.stdout;
  };

  test('refused with exit 2, naming the parameter, what is allowed and what was wrong; nothing changes', async () => {
    const before = await faults();
    const cases: Array<[string[], RegExp]> = [
      [['durationMs='], /durationMs must be an integer ≥ 1 \(values above (\d+) are clamped to \1\); got "" \(empty\)/],
      [['durationMs=0x10'], /durationMs must be an integer .*; got "0x10" \(not a plain decimal number\)/],
      [['durationMs=1e3'], /got "1e3" \(not a plain decimal number\)/],
      [['durationMs=Infinity'], /got "Infinity" \(not a plain decimal number\)/],
      [['durationMs=NaN'], /got "NaN" \(not a plain decimal number\)/],
      [['durationMs=1.5'], /got "1.5" \(not an integer\)/],
      [['durationMs= 5'], /got " 5" \(not a plain decimal number\)/],
      [['fraction=-0.5'], /fraction must be a number ≥ 0 \(values above 1 are clamped to 1\); got "-0.5" \(below 0\)/],
      [['durationMs=300', '--ttl', '0x10'], /--ttl must be an integer ≥ 1 \(values above 3600 are clamped to 3600\); got "0x10"/],
      [['durationMs=300', '--ttl', ''], /--ttl needs a value/],
    ];
    for (const [args, words] of cases) {
      const result = await lab(['fault', 'set', 'blocking', ...args, '--api', apiUrl]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, /^lab fault: /);
      assert.equal(result.stderr.match(/\blab [a-z]+:/g)?.length, 1, result.stderr);
      assert.match(result.stderr, words, args.join(' '));
    }
    assert.equal(await faults(), before, 'no refusal changed a fault');
    assert.match(before, /^off {2}fault {6}blocking$/m);
  });

  test('lab fault --help gives the default TTL read from the api catalogue and says set replaces, not merges', async () => {
    const { ttlSeconds } = await new AdminClient(apiUrl).catalogue();
    const help = await lab(['fault', '--help', '--api', apiUrl]);
    assert.equal(help.code, 0, help.stderr);
    assert.ok(
      help.stdout.includes(
        `--ttl S   seconds until it switches itself off: default ${ttlSeconds.default} s; above ${ttlSeconds.max} s it is clamped`,
      ),
      help.stdout,
    );
    assert.match(help.stdout, /replaces all its parameters\s+and its TTL \(it does not merge/);
  });

  test('above the maximum is clamped and said; -0 is 0', async () => {
    try {
      const clamped = await lab(['fault', 'set', 'blocking', 'durationMs=99999999999', 'fraction=-0', '--ttl', '99999', '--api', apiUrl]);
      assert.equal(clamped.code, 0, clamped.stderr);
      assert.match(clamped.stdout, /^blocking on \(durationMs clamped from 99999999999 to \d+\)$/m);
      const listed = await faults();
      assert.match(listed, /ON +fault +blocking \{[^}]*"durationMs":\d+,"fraction":0[,}]/);
      assert.match(listed, /, 3[56]\d\d s left/, 'ttl clamped to 3600 s');
    } finally {
      await lab(['fault', 'clear', '--api', apiUrl]);
    }
  });
});

describe('environment numbers (real processes)', () => {
  const start = (entry: string, env: Record<string, string>) =>
    spawnSync(process.execPath, [entry], {
      env: { ...process.env, PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'warn', ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });

  test('a service refuses a malformed number in its environment, naming the variable and what is allowed', () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      [
        API_ENTRY,
        { PORT: '0x10' },
        /PORT="0x10" is invalid: expected an integer from 0 to 65535 \(got "0x10" \(not a plain decimal number\)\)/,
      ],
      [API_ENTRY, { SHUTDOWN_DRAIN_MS: '1e3' }, /SHUTDOWN_DRAIN_MS="1e3" is invalid: expected an integer from 0 to 60000/],
      [API_ENTRY, { SHUTDOWN_DEADLINE_MS: '4500.5' }, /SHUTDOWN_DEADLINE_MS="4500.5" is invalid: .*not an integer/],
      [
        DOWNSTREAM_ENTRY,
        { DOWNSTREAM_CONCURRENCY: 'Infinity' },
        /DOWNSTREAM_CONCURRENCY="Infinity" is invalid: expected an integer from 1 to 1024/,
      ],
      [
        DOWNSTREAM_ENTRY,
        { DOWNSTREAM_LATENCY_MS: '99999999999999999999' },
        /DOWNSTREAM_LATENCY_MS="99999999999999999999" is invalid: .*above 60000/,
      ],
      [DOWNSTREAM_ENTRY, { METRICS_PORT: '-1' }, /METRICS_PORT="-1" is invalid: expected an integer from 0 to 65535/],
    ];
    for (const [entry, env, words] of cases) {
      const result = start(entry, env);
      assert.notEqual(result.status, 0, `${JSON.stringify(env)} started: ${result.stdout}`);
      assert.doesNotMatch(result.stdout, /"listening"/);
      assert.match(result.stderr, words, JSON.stringify(env));
    }
  });

  test('lab run refuses a malformed LAB_RUNNER_METRICS_PORT with exit 2 before starting anything', async () => {
    for (const value of ['0x10', '1e3', 'abc', '70000']) {
      const result = await lab(['run', 'baseline', '--quick', '--no-start', '--api', 'http://127.0.0.1:9'], {
        env: { LAB_RUNNER_METRICS_PORT: value },
      });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, new RegExp(`env LAB_RUNNER_METRICS_PORT must be an integer from 0 to 65535; got "${value}"`), value);
    }
  });
});
