// Warm and cold clients in the same run, checked by a client written here (node:net and
// node:http, none of the runner's code): the runner drives the real api with a blocking fault,
// and while it runs this file's own open-loop client sends warm requests (keep-alive sockets
// opened beforehand) and cold ones (a new TCP connection each). The runner's warm and cold P99s
// of the fault phase must agree with the independent client's, and both must show the cold
// population waiting longer (it also waits for the loop to accept its connection, one accept per
// loop turn: docs/measurement.md). The liveness verdict is checked against the runner's own
// attempt records and the kubelet's rule applied here.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Report, runScenario, validateScenario } from '@runtime-lab/scenarios';
import { type StartedService, startServices, stopServices } from '@runtime-lab/cli';
import { freeServicePorts } from '@runtime-lab/test-kit';

const BASELINE_S = 3;
const FAULT_S = 8;
const RECOVERY_S = 3;
const BLOCK_MS = 400;
const COLD_RATE = 1.5;
const WARM_RATE = 10;

const scenario = validateScenario(
  {
    name: 'populations',
    title: 'Warm and cold clients',
    description: 'Blocking on /api/orders; warm and cold probes on /api/ping.',
    probe: { ratePerSecond: WARM_RATE },
    coldProbe: { ratePerSecond: COLD_RATE, timeoutMs: 15_000 },
    liveness: { periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 2 },
    phases: [
      {
        name: 'baseline',
        durationSeconds: BASELINE_S,
        streams: [{ kind: 'pressure', name: 'orders', route: '/api/orders', connections: 1 }],
      },
      {
        name: 'fault',
        durationSeconds: FAULT_S,
        settleSeconds: 0,
        faults: { blocking: { mode: 'cpu', durationMs: BLOCK_MS, fraction: 1, routes: ['orders'] } },
        streams: [{ kind: 'pressure', name: 'orders', route: '/api/orders', connections: 1 }],
      },
      { name: 'recovery', durationSeconds: RECOVERY_S },
    ],
    expectations: [{ phase: 'fault', signal: 'probeP99', above: 0.1 }],
  },
  'populations.test.ts',
);

let services: StartedService[] = [];
let apiUrl = '';
let metricsUrl = '';
before(async () => {
  const started = await startServices({
    ports: await freeServicePorts(),
    logDir: mkdtempSync(join(tmpdir(), 'lab-populations-')),
  });
  services = started.services;
  apiUrl = started.urls.apiUrl;
  metricsUrl = started.urls.metricsUrl;
});
after(async () => {
  await stopServices(services);
});

const nowMs = (): number => performance.timeOrigin + performance.now();

/** One cold GET: a new TCP connection, the request written by hand, latency to the end of the answer. */
function coldGet(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let head = '';
    socket.setTimeout(30_000, () => socket.destroy());
    socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => {
      if (head.length < 16) head += chunk.toString('latin1');
    });
    socket.on('close', () => resolve(/^HTTP\/1\.1 2\d\d/.test(head)));
    socket.on('error', () => {});
  });
}

/** One warm GET on a kept-alive socket of `agent`. */
function warmGet(agent: http.Agent, url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve((res.statusCode ?? 0) < 300));
    });
    req.on('error', () => resolve(false));
  });
}

const p99 = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.99 * sorted.length) - 1)] as number;
};

test('the runner’s warm and cold P99s agree with an independent client in the same run, and the cold population waits longer', async (t) => {
  const api = new URL(apiUrl);
  const port = Number(api.port);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, scheduling: 'fifo' });
  await Promise.all(Array.from({ length: 2 * WARM_RATE }, () => warmGet(agent, `${apiUrl}/health`)));

  const runStart = nowMs();
  const reportPromise = runScenario({ scenario, source: 'populations.test.ts', apiUrl, metricsUrl, runnerMetricsPort: null });
  // The runner starts its schedule ~100 ms after its probes are ready; the fault phase is known
  // in the report's own time base, so this client keeps its own intended times and the phase is
  // matched afterwards through the report's start time.
  const mine: { kind: 'warm' | 'cold'; intendedMs: number; latencyMs: number; ok: boolean }[] = [];
  const pending: Promise<void>[] = [];
  const totalMs = (BASELINE_S + FAULT_S + RECOVERY_S) * 1000;
  const schedule = (kind: 'warm' | 'cold', rate: number): Promise<void> =>
    (async () => {
      for (let i = 0; ; i += 1) {
        const intendedMs = runStart + 500 + (i * 1000) / rate;
        if (intendedMs > runStart + totalMs) return;
        await new Promise((r) => setTimeout(r, Math.max(0, intendedMs - nowMs())));
        pending.push(
          (kind === 'warm' ? warmGet(agent, `${apiUrl}/api/ping`) : coldGet(port, '/api/ping')).then((ok) => {
            mine.push({ kind, intendedMs, latencyMs: nowMs() - intendedMs, ok });
          }),
        );
      }
    })();
  await Promise.all([schedule('warm', WARM_RATE), schedule('cold', COLD_RATE)]);
  const report: Report = await reportPromise;
  await Promise.all(pending);
  agent.destroy();

  const fault = report.phases.find((p) => p.name === 'fault') as Report['phases'][number];
  const runStartMs = Date.parse(report.startedAt);
  // The report's t = 0 is its schedule start, a little after startedAt; a second of margin each side.
  const inFault = (ms: number): boolean =>
    ms >= runStartMs + (fault.startSeconds + 1) * 1000 && ms < runStartMs + (fault.startSeconds + fault.durationSeconds - 1) * 1000;
  const independent = (kind: 'warm' | 'cold') => mine.filter((m) => m.kind === kind && inFault(m.intendedMs));
  const warmMine = independent('warm');
  const coldMine = independent('cold');
  assert.ok(
    warmMine.length >= 30 && coldMine.length >= 5,
    `independent client: ${warmMine.length} warm, ${coldMine.length} cold requests in the fault`,
  );
  const warmMineP99 = p99(warmMine.map((m) => m.latencyMs));
  const coldMineP99 = p99(coldMine.map((m) => m.latencyMs));
  // The runner's figures; a cold P99 that timed out is its lower bound (it never does with a 15 s timeout here).
  const warmRunner = (fault.summary.probeP99 ?? fault.summaryLower?.probeP99 ?? Number.NaN) * 1000;
  const coldRunner = (fault.summary.coldProbeP99 ?? fault.summaryLower?.coldProbeP99 ?? Number.NaN) * 1000;
  t.diagnostic(
    `fault phase, ${BLOCK_MS} ms blocks: runner warm P99 ${warmRunner.toFixed(0)} ms, cold P99 ${coldRunner.toFixed(0)} ms (${fault.clients.cold.requests} cold requests)`,
  );
  t.diagnostic(
    `independent client: warm P99 ${warmMineP99.toFixed(0)} ms (${warmMine.length}), cold P99 ${coldMineP99.toFixed(0)} ms (${coldMine.length})`,
  );

  // Same population, same run, two clients: the same figure within a factor of 2.
  assert.ok(warmRunner / warmMineP99 < 2 && warmMineP99 / warmRunner < 2, `warm: runner ${warmRunner} ms vs independent ${warmMineP99} ms`);
  assert.ok(coldRunner / coldMineP99 < 2 && coldMineP99 / coldRunner < 2, `cold: runner ${coldRunner} ms vs independent ${coldMineP99} ms`);
  // Both clients see the cold population wait longer than the warm one.
  assert.ok(coldRunner > 1.5 * warmRunner, `runner: cold ${coldRunner} ms should exceed 1.5 × warm ${warmRunner} ms`);
  assert.ok(coldMineP99 > 1.5 * warmMineP99, `independent: cold ${coldMineP99} ms should exceed 1.5 × warm ${warmMineP99} ms`);
  // The warm figure is what a blocked loop costs a request already connected: about one or two blocks.
  assert.ok(warmRunner >= BLOCK_MS * 0.5, `warm P99 ${warmRunner} ms should show the ${BLOCK_MS} ms blocks`);

  // Liveness: the kubelet's rule applied here to the runner's attempt records gives the report's verdict.
  const l = report.liveness;
  assert.ok(l.attempts.length >= 6, `${l.attempts.length} liveness attempts`);
  let run = 0;
  let restart: number | null = null;
  for (const a of l.attempts) {
    run = a.outcome === 'ok' && a.latencyMs < 1000 ? 0 : run + 1;
    if (run >= 2 && restart === null) restart = a.atSeconds + a.latencyMs / 1000;
  }
  assert.equal(l.restartSeconds, restart);
  // Outside the fault the same probe succeeds (at least once: a crowded machine can slow a second one past 1 s).
  const outside = l.attempts.filter(
    (a) => a.atSeconds < fault.startSeconds || a.atSeconds >= fault.startSeconds + fault.durationSeconds + 1,
  );
  assert.ok(
    outside.some((a) => a.outcome === 'ok'),
    'the liveness probe succeeds outside the fault',
  );
  t.diagnostic(
    `liveness: ${l.attempts.map((a) => `${a.atSeconds.toFixed(1)}s ${a.outcome} ${a.latencyMs.toFixed(0)}ms`).join(', ')}; restart at ${l.restartSeconds}`,
  );
  assert.ok(
    l.attempts.some(
      (a) => a.atSeconds >= fault.startSeconds && a.atSeconds < fault.startSeconds + fault.durationSeconds && a.outcome === 'timeout',
    ),
    'a probe on a new connection times out during the fault',
  );
});
