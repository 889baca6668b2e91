// Graceful shutdown of the real processes: SIGTERM stops accepting, drains for a bounded
// time, closes pools and children, and exits 0 within 5 s, even with a blocking fault active.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { setToggles, send, closedLoop, API_SERVER, DOWNSTREAM_SERVER, type RunningService, startService, stopService } from '@runtime-lab/test-kit';

const EXIT_BOUND_MS = 5000;

/** Starts a service that is stopped (SIGKILL after 2 s) when the test ends, whatever failed on the way. */
async function started(t: TestContext, script: string, env: Record<string, string> = {}): Promise<RunningService> {
  const service = await startService(script, env);
  t.after(async () => {
    await stopService(service, 2000);
  });
  return service;
}

/** Load that also stops when the test ends early. */
function stoppable(t: TestContext): AbortController {
  const controller = new AbortController();
  t.after(() => controller.abort());
  return controller;
}

async function sigterm(t: TestContext, service: RunningService) {
  const result = await stopService(service, 15_000);
  t.diagnostic(`${service.url}: SIGTERM -> exit ${result.code} in ${Math.round(result.ms)} ms`);
  assert.equal(result.signal, null, `exited by itself, not killed (${JSON.stringify(result)}): ${service.output.join('\n')}`);
  assert.equal(result.code, 0, `exit code 0: ${service.output.join('\n')}`);
  assert.ok(result.ms < EXIT_BOUND_MS, `exited within ${EXIT_BOUND_MS} ms (took ${Math.round(result.ms)})`);
  assert.ok(service.output.some((line) => line.includes('"stopped"')), 'reported its shutdown');
  return result;
}

test('api: SIGTERM in the middle of a 30 s blocking fault exits 0 within 5 s; the blocked request is answered', async (t) => {
  const api = await started(t, API_SERVER);
  await setToggles(api.url, { blocking: { mode: 'sleep', durationMs: 30_000 } });
  const blocked = send(`${api.url}/api/orders`, { timeoutMs: 20_000 }).then((r) => r.status, (e: Error) => e.message);
  // Let the request get into its block before the signal.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await sigterm(t, api);
  assert.equal(await blocked, 200, 'the in-flight request was drained, not dropped');
});

test('api: SIGTERM under load with cpu blocking and a busy report pool exits 0 within 5 s', async (t) => {
  const api = await started(t, API_SERVER);
  await setToggles(api.url, {
    blocking: { mode: 'cpu', durationMs: 1000, routes: ['orders', 'ping'] },
    'executor-saturation': { threads: 2, taskMs: 10_000 },
  });
  const stopLoad = stoppable(t);
  const load = Promise.all([
    closedLoop(`${api.url}/api/orders`, { connections: 4, durationMs: 8000, signal: stopLoad.signal }),
    closedLoop(`${api.url}/api/report`, { connections: 4, durationMs: 8000, method: 'POST', body: '{}', signal: stopLoad.signal }),
  ]);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  await sigterm(t, api);
  stopLoad.abort();
  await load;
});

test('api: SIGTERM with checkouts stuck in queue amplification exits 0 within 5 s; downstream too', async (t) => {
  const downstream = await started(t, DOWNSTREAM_SERVER);
  const api = await started(t, API_SERVER, { DOWNSTREAM_URL: downstream.url });
  await setToggles(api.url, { 'queue-amplification': { downstreamLatencyMs: 3000, timeoutMs: 5000, retries: 5 } });
  const stopLoad = stoppable(t);
  const load = closedLoop(`${api.url}/api/checkout`, { connections: 8, durationMs: 8000, method: 'POST', body: '{}', signal: stopLoad.signal });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const [apiExit] = await Promise.all([sigterm(t, api), sigterm(t, downstream)]);
  stopLoad.abort();
  await load;
  // Drain is bounded (3 s by default), not "until the 3 s x 6 attempts are over".
  assert.ok(apiExit.ms < EXIT_BOUND_MS);
});

test('api: with the off-thread signal watch off (LAB_SIGNAL_WATCH=off) it warns, and SIGTERM still exits 0 once the block ends', async (t) => {
  const api = await started(t, API_SERVER, { LAB_SIGNAL_WATCH: 'off' });
  assert.ok(
    api.output.some((line) => line.includes('SIGTERM during a blocking fault waits for the current block to end') && line.includes('LAB_SIGNAL_WATCH=off')),
    `warned at start: ${api.output.join('\n')}`,
  );
  const blockMs = 2500;
  await setToggles(api.url, { blocking: { mode: 'sleep', durationMs: blockMs } });
  const sentAt = performance.now();
  const blocked = send(`${api.url}/api/orders`, { timeoutMs: 20_000 }).then((r) => r.status, (e: Error) => e.message);
  // Let the request get into its block before the signal.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const blockLeftMs = blockMs - (performance.now() - sentAt);
  const result = await sigterm(t, api);
  // Without the watch the main thread sees the signal only after the block: the exit waits for it
  // (with the watch, the first test's 30 s block ends within milliseconds).
  assert.ok(result.ms >= blockLeftMs - 500, `exit waited for the block's remaining ~${Math.round(blockLeftMs)} ms (took ${Math.round(result.ms)})`);
  assert.equal(await blocked, 200, 'the blocked request was answered');
});
