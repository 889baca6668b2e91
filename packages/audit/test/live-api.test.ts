// The auditor's end-to-end check: against the live api during each fault's scenario the auditor
// reports the expected finding, and HEALTHY on baseline, through --metrics (the watchdog ports)
// and, where Debian's prometheus is installed, through --prometheus over the same window.
// The real api and downstream run as child processes on ephemeral ports, with the lab's own
// thresholds file. Fault parameters and load (closed-loop connections) are those of the
// scenario files in scenarios/src/catalogue, with shorter phases: 2 s to settle, 10 s audited.
// About 85 s in all, most of it the five 10 s audits and the gaps between faults.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runAuditCli } from '../src/index.js';
import { captureIo, hasBinary, type JsonCheck, type JsonReport } from './helpers.js';
import {
  API_SERVER,
  clearFaults,
  DOWNSTREAM_SERVER,
  type RunningService,
  type Stream,
  servicesBuilt,
  setFault,
  startLoad,
  startService,
} from './live-services.js';
import { alertsOf, type PrometheusServer, startPrometheus } from '@runtime-lab/test-kit';

interface Phase {
  name: string;
  /** Load before the audit starts; default SETTLE_MS. */
  settleMs?: number;
  fault?: [string, Record<string, unknown>];
  streams: Stream[];
  /** The alert that must be among the api's findings (none: the run must be HEALTHY). */
  expect?: string;
  /** Findings that would be a misattribution for this fault. */
  mustNot?: string[];
}

const PHASES: Phase[] = [
  // Like the baseline scenario's warm-up phase: start-up (module loading, JIT, Prometheus's own
  // start) stalls both loops for a few hundred ms in the first seconds, and the loop-delay max
  // gauge holds a stall for 5 s. Measured here: gone 7 s after start.
  { name: 'baseline', settleMs: 7000, streams: [{ route: '/api/orders', connections: 2 }] },
  {
    name: 'blocking',
    fault: ['blocking', { mode: 'cpu', durationMs: 600, fraction: 1, routes: ['orders'] }],
    streams: [{ route: '/api/orders', connections: 2 }],
    expect: 'EventLoopStarvation',
    // The threadpool canary's callback waits for the blocked loop too; that is not starvation
    // of the threadpool, and the rule discounts it.
    mustNot: ['ThreadpoolStarvation'],
  },
  {
    name: 'executor',
    fault: ['executor-saturation', { threads: 1, taskMs: 200, maxQueue: 0 }],
    streams: [{ route: '/api/report', method: 'POST', connections: 8 }],
    expect: 'ExecutorQueueAmplification',
  },
  {
    name: 'threadpool',
    fault: ['threadpool-saturation', { jobsPerRequest: 4, iterations: 100000, concurrency: 4 }],
    streams: [
      { route: '/api/hash', connections: 4 },
      { route: '/api/config', connections: 1 },
    ],
    expect: 'ThreadpoolStarvation',
  },
  {
    name: 'queue-amplification',
    fault: [
      'queue-amplification',
      { fanOut: 5, downstreamLatencyMs: 200, downstreamConcurrency: 4, timeoutMs: 500, retries: 3, backoffMs: 50, queueLimit: 0 },
    ],
    streams: [{ route: '/api/checkout', method: 'POST', connections: 8 }],
    expect: 'BacklogGrowth',
  },
];

const SETTLE_MS = 2000;
// The shortest audit the shipped thresholds accept: half the 10 s range before rates have a
// point, the longest `for:` (6 s) and one 1 s interval (span.ts).
const AUDIT = '12s';
// From clearing a fault to the next phase's audit (plus SETTLE_MS): longer than the loop-delay
// max gauge's 5 s window, and time for the queues to drain.
const GAP_MS = 4000;

const NOT_BUILT = servicesBuilt() ? false : 'services/api or services/downstream not built (run pnpm build)';
const NO_PROMETHEUS = hasBinary('prometheus') ? false : 'prometheus not installed (run scripts/install-system-deps.sh)';

async function auditJson(argv: string[]): Promise<{ code: number; report: JsonReport; err: string }> {
  const io = captureIo();
  const code = await runAuditCli([...argv, '--format', 'json'], io.io);
  assert.equal(io.err(), '', `no error expected: ${io.err()}`);
  return { code, report: JSON.parse(io.out()) as JsonReport, err: io.err() };
}

function apiFindings(report: JsonReport, api: RunningService): JsonCheck[] {
  const port = new URL(api.metricsUrl).port;
  return report.findings.filter((f) => f.target.includes(`:${port}`));
}

function describeFindings(report: JsonReport): string {
  return report.findings.map((f) => `${f.alert} ${f.status} on ${f.target}: ${f.evidence}`).join('\n') || 'none';
}

// The cpu blocking mode's own function, as the api's stall attribution labels it (source-mapped).
const HELD_BY_SPIN = /^spinCpu \(services\/api\/src\/faults\/blocking-work\.ts:\d+\)$/;

describe('lab audit against the live api during each fault', { skip: NOT_BUILT, timeout: 240_000 }, () => {
  let downstream: RunningService;
  let api: RunningService;
  let prometheus: PrometheusServer | undefined;

  let dir: string | undefined;
  let clearedAtMs = 0;

  before(async () => {
    downstream = await startService(DOWNSTREAM_SERVER);
    api = await startService(API_SERVER, { DOWNSTREAM_URL: downstream.url });
    if (!NO_PROMETHEUS) {
      dir = mkdtempSync(join(tmpdir(), 'audit-prometheus-'));
      prometheus = await startPrometheus(dir, { api: new URL(api.metricsUrl).host, downstream: new URL(downstream.metricsUrl).host });
    }
  });

  after(async () => {
    await prometheus?.stop();
    await api?.stop();
    await downstream?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const [index, phase] of PHASES.entries()) {
    it(`${phase.name}: ${phase.expect ? `reports ${phase.expect}` : 'reports HEALTHY'} via --metrics${NO_PROMETHEUS ? '' : ' and --prometheus'}`, async (t) => {
      if (index > 0) await new Promise((resolve) => setTimeout(resolve, Math.max(0, clearedAtMs + GAP_MS - Date.now())));
      if (phase.fault) await setFault(api.url, ...phase.fault);
      const load = startLoad(api.url, phase.streams);
      let metrics: { code: number; report: JsonReport };
      let startS: number;
      let endS: number;
      let alerts: Awaited<ReturnType<typeof alertsOf>> = [];
      try {
        await new Promise((resolve) => setTimeout(resolve, phase.settleMs ?? SETTLE_MS));
        startS = Date.now() / 1000;
        metrics = await auditJson(['--metrics', api.metricsUrl, '--metrics', downstream.metricsUrl, '--duration', AUDIT]);
        endS = Date.now() / 1000;
        if (prometheus && phase.name === 'blocking') alerts = await alertsOf(prometheus.url);
      } finally {
        const requests = await load.stop();
        await clearFaults(api.url);
        clearedAtMs = Date.now();
        assert.ok(requests > 0, 'the load reached the api');
      }
      t.diagnostic(`--metrics: ${metrics.report.status}; ${describeFindings(metrics.report)}`);

      const mine = apiFindings(metrics.report, api);
      if (!phase.expect) {
        assert.equal(metrics.report.status, 'healthy', describeFindings(metrics.report));
        assert.equal(metrics.code, 0);
      } else {
        assert.ok(
          mine.some((f) => f.alert === phase.expect),
          `--metrics: expected ${phase.expect} on the api; findings:\n${describeFindings(metrics.report)}`,
        );
        for (const wrong of phase.mustNot ?? []) {
          assert.ok(
            !mine.some((f) => f.alert === wrong),
            `--metrics: ${wrong} would misattribute ${phase.name}:\n${describeFindings(metrics.report)}`,
          );
        }
      }
      if (phase.name === 'blocking') {
        // 600 ms stalls on every request: critical, so the default --fail-on fails the run.
        const starvation = mine.find((f) => f.alert === 'EventLoopStarvation');
        assert.equal(starvation?.status, 'critical');
        assert.equal(metrics.code, 1);
        // The api attributes stalls: the finding names the function that held the loop.
        assert.match(starvation?.heldBy?.frame ?? '', HELD_BY_SPIN, `--metrics: ${JSON.stringify(starvation)}`);
        assert.match(starvation?.evidence ?? '', /; spinCpu \(.*\) held it [\d.]+s in \d+ stalls?$/);
      }

      if (!prometheus) return;
      // The generated alert rule agrees with the audit while the fault is on.
      if (phase.name === 'blocking') {
        const firing = alerts.filter((a) => a.labels.alertname === 'EventLoopStarvation' && a.labels.job === 'api' && a.state === 'firing');
        assert.ok(
          firing.length > 0,
          `EventLoopStarvation not firing in Prometheus: ${JSON.stringify(alerts.map((a) => [a.labels.alertname, a.labels.job, a.state]))}`,
        );
      }
      // Let the last scrape of the window land before querying it.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const window = `${Math.ceil(endS - startS)}s`;
      const viaPrometheus = await auditJson(['--prometheus', prometheus.url, '--window', window, '--end', endS.toFixed(3), '--step', '1s']);
      t.diagnostic(`--prometheus: ${viaPrometheus.report.status}; ${describeFindings(viaPrometheus.report)}`);
      const apiJob = viaPrometheus.report.findings.filter((f) => f.target.startsWith('api '));
      if (!phase.expect) {
        assert.equal(viaPrometheus.report.status, 'healthy', describeFindings(viaPrometheus.report));
        assert.equal(viaPrometheus.code, 0);
      } else {
        assert.ok(
          apiJob.some((f) => f.alert === phase.expect),
          `--prometheus: expected ${phase.expect} on job api; findings:\n${describeFindings(viaPrometheus.report)}`,
        );
      }
      if (phase.name === 'blocking') {
        const starvation = apiJob.find((f) => f.alert === 'EventLoopStarvation');
        assert.match(starvation?.heldBy?.frame ?? '', HELD_BY_SPIN, `--prometheus: ${JSON.stringify(starvation)}`);
      }
    });
  }
});
