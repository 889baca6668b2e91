// Graceful shutdown of the real processes, started as `lab up` and the image start them (main.js:
// the service under its signal supervisor): SIGTERM stops accepting, drains for a bounded time,
// closes pools and children, and exits 0 within 5 s, even with a blocking fault active.
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { type TestContext, test } from 'node:test';
import {
  API_SERVER,
  API_SERVER_ALONE,
  closedLoop,
  DOWNSTREAM_SERVER,
  isAlive,
  type RunningService,
  send,
  setToggles,
  startService,
  stopService,
} from '@runtime-lab/test-kit';
import { STOP_FLAG_CASES } from './shutdown-cases.js';

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

async function stopWith(t: TestContext, service: RunningService, signal: NodeJS.Signals = 'SIGTERM') {
  const startedAt = performance.now();
  service.child.kill(signal);
  const timer = setTimeout(() => service.child.kill('SIGKILL'), 15_000);
  const result = { ...(await service.exited), ms: performance.now() - startedAt };
  clearTimeout(timer);
  t.diagnostic(`${service.url}: ${signal} -> exit ${result.code} in ${Math.round(result.ms)} ms`);
  assert.equal(result.signal, null, `exited by itself, not killed (${JSON.stringify(result)}): ${service.output.join('\n')}`);
  assert.equal(result.code, 0, `exit code 0: ${service.output.join('\n')}`);
  assert.ok(result.ms < EXIT_BOUND_MS, `exited within ${EXIT_BOUND_MS} ms (took ${Math.round(result.ms)})`);
  assert.ok(
    service.output.some((line) => line.includes('"stopped"')),
    'reported its shutdown',
  );
  return result;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Every blocking mode that runs on the main thread and checks the stop flag (see shutdown-cases.ts).
for (const [mode, signal] of STOP_FLAG_CASES) {
  test(`api: ${signal} in the middle of a 30 s ${mode} block exits 0 within 5 s, not after the block; the blocked request is answered`, async (t) => {
    const api = await started(t, API_SERVER);
    await setToggles(api.url, { blocking: { mode, durationMs: 30_000 } });
    const blocked = send(`${api.url}/api/orders`, { timeoutMs: 20_000 }).then(
      (r) => r.status,
      (e: Error) => e.message,
    );
    // Let the request get into its block before the signal.
    await sleep(500);
    await stopWith(t, api, signal);
    assert.equal(await blocked, 200, 'the in-flight request was drained, not dropped');
  });
}

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
  await sleep(1500);
  await stopWith(t, api);
  stopLoad.abort();
  await load;
});

test('api: SIGTERM with checkouts stuck in queue amplification exits 0 within 5 s; downstream too', async (t) => {
  const downstream = await started(t, DOWNSTREAM_SERVER);
  const api = await started(t, API_SERVER, { DOWNSTREAM_URL: downstream.url });
  await setToggles(api.url, { 'queue-amplification': { downstreamLatencyMs: 3000, timeoutMs: 5000, retries: 5 } });
  const stopLoad = stoppable(t);
  const load = closedLoop(`${api.url}/api/checkout`, {
    connections: 8,
    durationMs: 8000,
    method: 'POST',
    body: '{}',
    signal: stopLoad.signal,
  });
  await sleep(1000);
  const [apiExit] = await Promise.all([stopWith(t, api), stopWith(t, downstream)]);
  stopLoad.abort();
  await load;
  // Drain is bounded (3 s by default), not "until the 3 s x 6 attempts are over".
  assert.ok(apiExit.ms < EXIT_BOUND_MS);
});

test('api without its supervisor (server.js) warns at start, and SIGTERM still exits 0 once the block ends', async (t) => {
  const api = await started(t, API_SERVER_ALONE);
  assert.ok(
    api.output.some(
      (line) =>
        line.includes('SIGTERM during a blocking fault waits for the current block to end') &&
        line.includes('not started under its supervisor'),
    ),
    `warned at start: ${api.output.join('\n')}`,
  );
  const blockMs = 2500;
  await setToggles(api.url, { blocking: { mode: 'sleep', durationMs: blockMs } });
  const sentAt = performance.now();
  const blocked = send(`${api.url}/api/orders`, { timeoutMs: 20_000 }).then(
    (r) => r.status,
    (e: Error) => e.message,
  );
  await sleep(500);
  const blockLeftMs = blockMs - (performance.now() - sentAt);
  const result = await stopWith(t, api);
  // Without the supervisor the main thread sees the signal only after the block: the exit waits
  // for it (with it, a 30 s block ends within milliseconds, see above).
  assert.ok(
    result.ms >= blockLeftMs - 500,
    `exit waited for the block's remaining ~${Math.round(blockLeftMs)} ms (took ${Math.round(result.ms)})`,
  );
  assert.equal(await blocked, 200, 'the blocked request was answered');
});

test('api: when its supervisor is killed (SIGKILL), the api stops by itself instead of running on as an orphan', async (t) => {
  const api = await started(t, API_SERVER);
  // The readiness line carries the pid of the service process, the child of the supervisor.
  assert.notEqual(api.pid, api.child.pid, 'the readiness line comes from the supervised child');
  t.after(() => {
    if (isAlive(api.pid)) process.kill(api.pid, 'SIGKILL');
  });
  await setToggles(api.url, { blocking: { mode: 'sleep', durationMs: 30_000 } });
  void send(`${api.url}/api/orders`, { timeoutMs: 20_000 }).catch(() => undefined);
  await sleep(500);
  api.child.kill('SIGKILL');
  const startedAt = performance.now();
  while (isAlive(api.pid) && performance.now() - startedAt < 10_000) await sleep(50);
  const goneMs = performance.now() - startedAt;
  t.diagnostic(`api gone ${Math.round(goneMs)} ms after its supervisor was killed`);
  assert.equal(isAlive(api.pid), false, 'the orphaned api exited');
  assert.ok(goneMs < EXIT_BOUND_MS, `within ${EXIT_BOUND_MS} ms (took ${Math.round(goneMs)})`);
});

/** One request on a keep-alive agent; resolves with when it was answered and its Connection header. */
function keepAliveRequest(
  agent: Agent,
  url: string,
  method = 'GET',
): Promise<{ status: number; connection: string | undefined; atMs: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method, headers: method === 'POST' ? { 'content-type': 'application/json' } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, atMs: performance.now() }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

for (const which of ['api', 'downstream'] as const) {
  test(`${which}: a keep-alive client does not hold the shutdown: the in-flight answer says Connection: close, idle sockets close, exit right after`, async (t) => {
    // A drain long enough that waiting for it could not pass for the fix.
    const slow = { SHUTDOWN_DRAIN_MS: '10000', SHUTDOWN_DEADLINE_MS: '12000' };
    const downstream = await started(t, DOWNSTREAM_SERVER, { DOWNSTREAM_LATENCY_MS: '1500', ...slow });
    const api = which === 'api' ? await started(t, API_SERVER, { DOWNSTREAM_URL: downstream.url, ...slow }) : undefined;
    // A checkout that takes ~1.5 s and does not time out: it is surely in flight at the signal.
    if (api) await setToggles(api.url, { 'queue-amplification': { fanOut: 1, downstreamLatencyMs: 1500, timeoutMs: 10_000, retries: 0 } });
    const target = api ?? downstream;
    const url = api ? `${api.url}/api/checkout` : `${downstream.url}/api/work`;
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    t.after(() => agent.destroy());
    // One socket left idle, one busy with a ~1.5 s request when the signal comes.
    const idle = await keepAliveRequest(agent, `${target.url}/health`);
    assert.equal(idle.connection, 'keep-alive');
    const inFlight = keepAliveRequest(agent, url, api ? 'POST' : 'GET');
    await sleep(300);
    const signalAt = performance.now();
    target.child.kill('SIGTERM');
    const answered = await inFlight;
    const result = { ...(await target.exited), ms: performance.now() - signalAt };
    t.diagnostic(
      `${which}: answered ${Math.round(answered.atMs - signalAt)} ms after SIGTERM (Connection: ${answered.connection}), exited at ${Math.round(result.ms)} ms`,
    );
    assert.equal(answered.status, 200);
    assert.equal(answered.connection, 'close', 'the answer during shutdown closes its connection');
    assert.equal(result.code, 0);
    // 10 s would mean it waited out the drain for a keep-alive socket.
    assert.ok(result.ms < EXIT_BOUND_MS, `exited ${Math.round(result.ms)} ms after SIGTERM, not after the 10 s drain`);
  });
}
