import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import Fastify, { type FastifyInstance } from 'fastify';
import telemetry, { type TelemetryOptions } from '../src/index.js';
import type { PollerConfig, PollResult } from './fixtures/poller.js';

/** Occupies the calling thread (the app's event loop) for `ms`. */
export function blockFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // a synchronous stall, as in the lab's `cpu` blocking mode
  }
}

export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * Starts a Fastify app with the plugin registered with `options` (which must start the
 * watchdog), `addRoutes` applied, and `GET /block?ms=N` stalling the event loop for N ms
 * (answers `{ startedMs, endedMs }`), listening on 127.0.0.1 port 0. Returns the app and the
 * base URLs of the app and of the watchdog.
 */
export async function startBlockingApp(
  options: TelemetryOptions,
  addRoutes: (app: FastifyInstance) => void = () => {},
): Promise<{ app: FastifyInstance; appUrl: string; watchdogUrl: string }> {
  const app = Fastify();
  await app.register(telemetry, options);
  addRoutes(app);
  app.get<{ Querystring: { ms: string } }>('/block', async (request) => {
    const startedMs = nowMs();
    blockFor(Number(request.query.ms));
    return { startedMs, endedMs: nowMs() };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  const watchdog = app.telemetry.watchdogAddress();
  assert.ok(watchdog, 'watchdogAddress() is set after ready');
  return { app, appUrl: `http://127.0.0.1:${address.port}`, watchdogUrl: `http://127.0.0.1:${watchdog.port}` };
}

/** Starts a poller thread; call go() to start polling, then await results. */
export async function startPoller(config: PollerConfig): Promise<{ go(): void; results: Promise<PollResult[]> }> {
  const worker = new Worker(new URL('./fixtures/poller.js', import.meta.url), { workerData: config });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  const results = new Promise<PollResult[]>((resolve, reject) => {
    worker.once('message', (r: PollResult[]) => {
      void worker.terminate();
      resolve(r);
    });
    worker.once('error', reject);
  });
  return { go: () => worker.postMessage('go'), results };
}

export interface PromtoolResult {
  status: number;
  findings: string[];
}

/** Runs Debian's `promtool check metrics` on an exposition. Fails loudly if promtool is absent. */
export function promtoolCheck(text: string): PromtoolResult {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error) {
    throw new Error(
      `promtool is required for this test and could not run (${result.error.message}); ` +
        "install Debian's prometheus package: bash scripts/install-system-deps.sh",
    );
  }
  const findings = `${result.stdout}${result.stderr}`.split('\n').filter((l) => l.trim() !== '');
  return { status: result.status ?? -1, findings };
}

// prom-client's default metrics include three gauges whose names end in _total, which
// promtool's naming lint flags. They are kept under their usual names on purpose (community
// dashboards query them); every other finding is a real failure.
export const PROM_CLIENT_LEGACY_NAMES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function unexpectedFindings(result: PromtoolResult): string[] {
  return result.findings.filter((f) => !PROM_CLIENT_LEGACY_NAMES.some((n) => f.startsWith(`${n} non-counter metrics`)));
}
