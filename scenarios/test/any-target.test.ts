// Any HTTP service as a target: a load-only scenario runs against a minimal Fastify app with
// none of the lab's routes (no /health, no /admin, no telemetry plugin), in a child process so
// its loop is not the test's. The app counts what it receives itself; the report must say
// which server-side signals it could not see, and why, instead of failing.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { type ChildServer, childServer } from '@runtime-lab/test-kit';
import { EngineError } from '../src/errors.js';
import { runScenario } from '../src/run.js';
import { terminalSummary } from '../src/report/format.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { SIGNALS, SIGNAL_IDS } from '../src/signals.js';
import type { Scenario } from '../src/define.js';
import { validateScenario } from '../src/validate.js';

const require = createRequire(import.meta.url);

/**
 * A Fastify app with one route, /work, and (when `promClient`) prom-client's default metrics on
 * /metrics, plus a loop that blocks for `blockMs` every second. Every request is counted by path
 * and method, including the ones no route answers (404), and served on /_counts.
 */
function appSource(options: { promClient: boolean; blockMs: number }): string {
  return `
const fastify = require(${JSON.stringify(require.resolve('fastify'))})();
const counts = {};
fastify.addHook('onRequest', async (req) => {
  if (req.url === '/_counts') return;
  const key = req.method + ' ' + req.url.split('?')[0];
  counts[key] = (counts[key] || 0) + 1;
});
fastify.get('/work', async () => ({ ok: true }));
fastify.get('/_counts', async () => counts);
${
  options.promClient
    ? `const client = require(${JSON.stringify(require.resolve('prom-client'))});
const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });
fastify.get('/metrics', async (req, reply) => { reply.type(registry.contentType); return registry.metrics(); });`
    : ''
}
fastify.listen({ port: 0, host: '127.0.0.1' }).then(() => {
  console.log(fastify.server.address().port);
  ${options.blockMs > 0 ? `setInterval(() => { const end = Date.now() + ${options.blockMs}; while (Date.now() < end); }, 1000);` : ''}
});
`;
}

function loadOnly(name: string): Scenario {
  return validateScenario(
    {
      name,
      title: 'Load only',
      description: 'A warm and a cold probe on /work, no fault.',
      probe: { route: '/work', ratePerSecond: 20, sloMs: 1000 },
      phases: [{ name: 'steady', durationSeconds: 4 }],
      expectations: [{ phase: 'steady', signal: 'probeP99', below: 2 }],
    },
    `${name}.scenario.ts`,
  );
}

async function countsOf(app: ChildServer): Promise<Record<string, number>> {
  return (await (await fetch(`http://127.0.0.1:${app.port}/_counts`)).json()) as Record<string, number>;
}

let bare: ChildServer;
let withProm: ChildServer;
before(async () => {
  [bare, withProm] = await Promise.all([
    childServer(appSource({ promClient: false, blockMs: 0 })),
    childServer(appSource({ promClient: true, blockMs: 150 })),
  ]);
});
after(async () => {
  await Promise.all([bare?.close(), withProm?.close()]);
});

test('a load-only scenario against an app with none of the lab routes passes and lists every server-side signal it could not see', async () => {
  const base = `http://127.0.0.1:${bare.port}`;
  const report = await runScenario({
    scenario: loadOnly('bare'),
    source: 'bare.scenario.ts',
    apiUrl: base,
    metricsUrl: `${base}/metrics`,
    runnerMetricsPort: null,
  });
  assert.equal(report.verdict, 'passed', JSON.stringify(report.expectations));
  assert.equal(report.target.metricsSource, 'none');
  assert.equal(report.target.faultsSet, false);
  const missing = new Map((report.target.unavailableSignals ?? []).map((u) => [u.signal, u.reason]));
  // Every server-side signal (the signal table's `side`) is missing, with the reason; no client-side one.
  for (const signal of SIGNAL_IDS) {
    if (SIGNALS[signal].side === 'server') assert.match(missing.get(signal) ?? '', /HTTP 404/, `${signal}: ${missing.get(signal)}`);
    else assert.ok(!missing.has(signal), `${signal}: client-side signals are always measured`);
  }
  assert.ok(missing.has('loopDelayP99') && !missing.has('probeP99'));
  const counts = await countsOf(bare);
  // The app's own count: the warm probe at 20/s and the cold one at 5/s for 4 s, plus the liveness
  // probe (on /work: the app has no /health) and the pre-run check.
  assert.ok((counts['GET /work'] ?? 0) >= 0.8 * 4 * 25, JSON.stringify(counts));
  assert.equal(report.liveness.route, '/work');
  for (const key of Object.keys(counts)) assert.doesNotMatch(key, /\/admin/, 'a load-only run never calls the admin API');
  const md = renderMarkdown(report);
  assert.match(md, /not available: .*loop delay p99/);
  assert.match(terminalSummary(report).join('\n'), /Signals not available from this target \(none metrics/);
});

test("with prom-client's default metrics, loop delay comes from nodejs_eventloop_lag_*; the plugin-only signals are listed", async () => {
  const base = `http://127.0.0.1:${withProm.port}`;
  const report = await runScenario({
    scenario: loadOnly('prom'),
    source: 'prom.scenario.ts',
    apiUrl: base,
    metricsUrl: `${base}/metrics`,
    runnerMetricsPort: null,
  });
  assert.equal(report.verdict, 'passed', JSON.stringify(report.expectations));
  assert.equal(report.target.metricsSource, 'prom-client');
  const missing = new Set((report.target.unavailableSignals ?? []).map((u) => u.signal));
  assert.ok(!missing.has('loopDelayP99') && !missing.has('loopDelayMax'));
  for (const signal of ['serverP99', 'loopStall', 'elu', 'threadpoolCanary', 'backlog'] as const) assert.ok(missing.has(signal), signal);
  // The app blocks its loop for 150 ms every second: prom-client's gauges must show it.
  const steady = report.phases[0];
  assert.ok(steady);
  assert.ok((steady.summary.loopDelayMax ?? 0) >= 0.1, `loop delay max ${steady.summary.loopDelayMax}`);
  assert.ok(
    report.series.loopDelayP99.some((v) => v !== null),
    'per-second loop delay p99 read from the gauge',
  );
  assert.equal(steady.summary.serverP99, null);
});

test('an expectation on a signal the target cannot give is refused before the run, naming the expectation and why', async () => {
  const base = `http://127.0.0.1:${bare.port}`;
  const scenario = loadOnly('blind');
  scenario.expectations.push({ phase: 'steady', signal: 'loopDelayP99', below: 0.1 });
  const before = await countsOf(bare);
  await assert.rejects(
    runScenario({ scenario, source: 'blind.scenario.ts', apiUrl: base, metricsUrl: `${base}/metrics`, runnerMetricsPort: null }),
    (error: unknown) =>
      error instanceof EngineError &&
      error.code === 'LAB_SIGNAL_UNAVAILABLE' &&
      /blind\.scenario\.ts: expectations\[1\] reads loopDelayP99, which this target cannot give: no metrics: .*HTTP 404/.test(
        error.message,
      ),
  );
  const afterCounts = await countsOf(bare);
  assert.equal((afterCounts['GET /work'] ?? 0) - (before['GET /work'] ?? 0), 1, 'only the pre-run check reached the app');
});

test('a scenario that sets a fault against a target without the admin API fails up front, naming the field and why', async () => {
  const base = `http://127.0.0.1:${bare.port}`;
  const scenario = loadOnly('faulty');
  scenario.phases[0] = { ...(scenario.phases[0] as Scenario['phases'][number]), faults: { blocking: {} } };
  const before = await countsOf(bare);
  await assert.rejects(
    runScenario({ scenario, source: 'faulty.scenario.ts', apiUrl: base, metricsUrl: `${base}/metrics`, runnerMetricsPort: null }),
    (error: unknown) =>
      error instanceof EngineError &&
      error.code === 'LAB_ADMIN_API_MISSING' &&
      /faulty\.scenario\.ts: phases\[0\]\.faults\.blocking/.test(error.message) &&
      /admin\/catalogue: .*HTTP 404/.test(error.message) &&
      /load only\) runs against any HTTP service/.test(error.message),
  );
  const afterCounts = await countsOf(bare);
  // Nothing was switched on and no load was sent: only the pre-run checks reached the app.
  assert.equal(afterCounts['PUT /admin/faults/blocking'], undefined);
  assert.equal((afterCounts['GET /work'] ?? 0) - (before['GET /work'] ?? 0), 1);
});
