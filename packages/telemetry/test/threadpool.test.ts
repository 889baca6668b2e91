import assert from 'node:assert/strict';
import { pbkdf2 } from 'node:crypto';
import { test } from 'node:test';
import { promisify } from 'node:util';
import Fastify from 'fastify';
import telemetry from '../src/index.js';
import { bucketsOf, histogramQuantile, parseExposition, sumOf } from '@runtime-lab/scrape';

const pbkdf2Async = promisify(pbkdf2);

test('the canary sees a saturated libuv threadpool that the loop-delay signals do not', async () => {
  const app = Fastify();
  await app.register(telemetry, { watchdog: false, http: false, defaultMetrics: false, threadpoolCanary: { intervalMs: 20 } });
  await app.ready();
  try {
    // Calibrate one job to ~150 ms on this machine, then queue four rounds of them on the
    // threadpool (UV_THREADPOOL_SIZE defaults to 4): ~600 ms of queueing, none on the loop.
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const started = performance.now();
    await pbkdf2Async('x', 'salt', 20_000, 32, 'sha256');
    const iterations = Math.max(1000, Math.round((20_000 * 150) / Math.max(1, performance.now() - started)));
    await new Promise((r) => setTimeout(r, 120)); // a few quiet canaries first
    const quiet = parseExposition(await app.telemetry.registry.metrics());

    const jobs = Array.from({ length: threads * 4 }, () =>
      app.telemetry.trackThreadpool(pbkdf2Async('x', 'salt', iterations, 32, 'sha256')),
    );
    await new Promise((r) => setTimeout(r, 250));
    const during = parseExposition(await app.telemetry.registry.metrics());
    assert.ok((sumOf(during, 'runtime_threadpool_inflight') ?? 0) > threads, 'submitted work beyond the pool size is in flight');
    const pending = sumOf(during, 'runtime_threadpool_canary_pending_seconds') ?? 0;
    assert.ok(pending > 0.1, `the canary waits behind the jobs: pending ${pending} s`);
    await Promise.all(jobs);
    await new Promise((r) => setTimeout(r, 100));

    const f = parseExposition(await app.telemetry.registry.metrics());
    assert.equal(sumOf(f, 'runtime_threadpool_inflight'), 0);
    const canaryTotal =
      (sumOf(f, 'runtime_threadpool_canary_seconds_sum') ?? 0) - (sumOf(quiet, 'runtime_threadpool_canary_seconds_sum') ?? 0);
    const canaryP50Quiet = histogramQuantile(0.5, bucketsOf(quiet, 'runtime_threadpool_canary_seconds'));
    const loopMax = sumOf(f, 'runtime_eventloop_delay_max_seconds') ?? 0;
    assert.ok(canaryTotal > 0.2, `total canary latency during saturation: ${canaryTotal} s`);
    // Measured in the same run: the loop stayed responsive while the threadpool was jammed.
    assert.ok(canaryTotal > 4 * loopMax, `canary ${canaryTotal} s vs loop-delay max ${loopMax} s`);
    assert.ok(canaryP50Quiet < canaryTotal / 10, `quiet canary p50 ${canaryP50Quiet} s`);
  } finally {
    await app.close();
  }
});
