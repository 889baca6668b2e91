// A start that fails part-way releases everything it had started (worker threads, timers,
// servers), so the process ends by itself instead of hanging whoever started it (a test run
// once stayed alive for 43 minutes that way).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { API_SERVER } from '@runtime-lab/test-kit';

const EXIT_BOUND_MS = 10_000;

/** Runs node with `args`; resolves with how it ended, SIGKILLing it after EXIT_BOUND_MS. */
function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; ms: number; stderr: string; stdout: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_BOUND_MS);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, ms: performance.now() - started, stderr, stdout });
    });
  });
}

test('api whose port is taken exits 1 by itself (through its supervisor) with one line saying why, no stack trace', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  // Through the supervisor, as `lab up` starts it: its exit code is the service's.
  const result = await run([API_SERVER], { PORT: String(port), METRICS_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
  t.diagnostic(`exit ${result.code} after ${Math.round(result.ms)} ms: ${result.stderr.trim()}`);
  assert.equal(result.code, 1, `exit code 1, not killed after ${EXIT_BOUND_MS} ms: ${result.stderr}`);
  assert.match(result.stderr, /^api: could not start: .*EADDRINUSE.*\n$/);
});

test('the api plugin failing after telemetry and its pool threads started: app.close() leaves nothing running and the process ends', async (t) => {
  const appUrl = new URL('../src/app.js', import.meta.url).href;
  const fastifyUrl = import.meta.resolve('fastify');
  // An invalid downstream URL fails in the plugin after the report pool's threads and the
  // telemetry (watchdog thread, canary, timers) are running.
  const script = `
    const { default: Fastify } = await import(${JSON.stringify(fastifyUrl)});
    const { default: api } = await import(${JSON.stringify(appUrl)});
    const app = Fastify();
    try {
      await app.register(api, { downstreamUrl: 'not a url', telemetry: { watchdog: { port: 0 } } });
      await app.ready();
      console.log('started');
    } catch (error) {
      console.log('failed: ' + error.message);
      await app.close();
      await new Promise((resolve) => setImmediate(resolve));
      // What still holds the loop (stdio pipes aside): an unclosed pool port, timer or server.
      const left = process.getActiveResourcesInfo().filter((r) => r !== 'PipeWrap' && r !== 'TTYWrap');
      console.log('left after close: ' + JSON.stringify(left));
    }
  `;
  const dir = mkdtempSync(join(tmpdir(), 'lab-start-failure-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'embed.mjs');
  writeFileSync(file, script);
  const result = await run([file]);
  t.diagnostic(`exit ${result.code} after ${Math.round(result.ms)} ms: ${result.stdout.trim()}`);
  assert.match(result.stdout, /^failed: Invalid URL/m);
  // Pool threads are unref'd, so a leak would not hang this process: look at what is left instead.
  assert.match(result.stdout, /^left after close: \[\]$/m);
  assert.equal(result.code, 0, `ended by itself, not killed after ${EXIT_BOUND_MS} ms: ${result.stderr}`);
});
