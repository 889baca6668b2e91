// The api Deployment's probes run against the real api process (no cluster can run here):
// the liveness probe's path and port (GET /livez on the watchdog port) and the readiness
// probe's (GET /health on the app port), with the manifest's timeouts, periods and thresholds,
// judged the kubelet's way (fresh connection per probe, 200-399 within timeoutSeconds).
// Scaled down, and said so: LIVENESS_MAX_STALL_MS is 1500 here instead of the manifest's
// 10000, so a test stall lasts seconds, not half a minute.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_SERVER, DOWNSTREAM_SERVER, type RunningService, startService, stopService } from '@runtime-lab/test-kit';
import type { IContainer } from 'kubernetes-models/v1';
import {
  ELU_PER_POD_QUERY,
  firstTrip,
  INFLIGHT_PER_POD_QUERY,
  LIVENESS_PROBE,
  type ProbeSample,
  probeOnce,
  READINESS_PROBE,
  workloads,
} from '../src/index.js';

const LIMIT_MS = 1500;
const STEP_MS = 100;

const [deployment] = workloads().api;
const container = deployment.spec?.template.spec?.containers[0] as IContainer;
const manifestEnv = Object.fromEntries((container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? '']));

let api: RunningService;
let appUrl: string;
let watchdogUrl: string;

/** The URL a kubelet would probe: the probe's path on the container port it names. */
function probeUrl(probe: IContainer['livenessProbe']): string {
  const port = String(probe?.httpGet?.port);
  const base =
    port === 'metrics' ? watchdogUrl : port === 'http' ? appUrl : assert.fail(`probe port ${port} is not a named container port`);
  return `${base}${probe?.httpGet?.path}`;
}

before(async () => {
  // The manifest's environment, on ephemeral loopback ports, with the scaled-down limit.
  api = await startService(API_SERVER, {
    ...manifestEnv,
    HOST: '127.0.0.1',
    PORT: '0',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    LIVENESS_MAX_STALL_MS: String(LIMIT_MS),
  });
  appUrl = api.url;
  assert.ok(api.metricsUrl, 'the api serves watchdog metrics');
  watchdogUrl = new URL(api.metricsUrl).origin;
});
after(() => stopService(api));

interface Run {
  startedMs: number;
  endedMs: number;
  liveness: ProbeSample[];
  readiness: ProbeSample[];
  metrics: ProbeSample[];
}

/** Blocks the api's loop for stallMs (blocking fault, sleep mode, on /api/ping) while probing every STEP_MS. */
async function probeThroughStall(stallMs: number): Promise<Run> {
  const put = await fetch(`${appUrl}/admin/faults/blocking`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'sleep', durationMs: stallMs, fraction: 1, routes: ['ping'], ttlSeconds: 60 }),
  });
  assert.equal(put.status, 200, await put.text());
  const liveness: Promise<ProbeSample>[] = [];
  const readiness: Promise<ProbeSample>[] = [];
  const metrics: Promise<ProbeSample>[] = [];
  let done = false;
  const sampler = (async () => {
    while (!done) {
      liveness.push(probeOnce(probeUrl(container.livenessProbe), LIVENESS_PROBE.timeoutSeconds * 1000));
      readiness.push(probeOnce(probeUrl(container.readinessProbe), READINESS_PROBE.timeoutSeconds * 1000));
      metrics.push(probeOnce(`${watchdogUrl}/metrics`, 1000));
      await new Promise((r) => setTimeout(r, STEP_MS));
    }
  })();
  await new Promise((r) => setTimeout(r, 500));
  const startedMs = performance.now();
  const ping = await fetch(`${appUrl}/api/ping`);
  const endedMs = performance.now();
  assert.equal(ping.status, 200);
  await new Promise((r) => setTimeout(r, 1500));
  done = true;
  await sampler;
  const cleared = await fetch(`${appUrl}/admin/faults/blocking`, { method: 'DELETE' });
  assert.equal(cleared.status, 200);
  return {
    startedMs,
    endedMs,
    liveness: await Promise.all(liveness),
    readiness: await Promise.all(readiness),
    metrics: await Promise.all(metrics),
  };
}

const during = (samples: ProbeSample[], from: number, to: number): ProbeSample[] =>
  samples.filter((s) => s.sentMs >= from && s.sentMs < to);
const outcomes = (samples: ProbeSample[]): string => samples.map((s) => s.outcome).join(' ');

describe("the api Deployment's probes on a real api process", () => {
  it('probe paths answer 200 on the ports they name when the api is healthy', async () => {
    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      const sample = await probeOnce(probeUrl(probe), 1000);
      assert.equal(sample.outcome, 200, `${probe?.httpGet?.path} on port ${probe?.httpGet?.port}`);
    }
  });

  it('the KEDA queries read metrics the api serves on its watchdog port', async () => {
    const text = await (await fetch(`${watchdogUrl}/metrics`)).text();
    for (const query of [INFLIGHT_PER_POD_QUERY, ELU_PER_POD_QUERY]) {
      for (const metric of new Set(query.match(/[a-z_]+(?=\{)/g) ?? [])) {
        assert.match(text, new RegExp(`^${metric}(\\{| )`, 'm'), `${metric} (from a KEDA query) is not on the watchdog port`);
      }
    }
  });

  it('a stall longer than the limit: liveness fails while /metrics answers, readiness unroutes, both recover', async () => {
    const run = await probeThroughStall(4000);
    assert.ok(run.endedMs - run.startedMs >= 3900, `the stall lasted ${(run.endedMs - run.startedMs).toFixed(0)} ms`);
    // Well past the limit, before the stall ends: the heartbeat is older than the limit.
    const late = during(run.liveness, run.startedMs + LIMIT_MS + 300, run.endedMs - 200);
    assert.ok(late.length >= 10, `expected >= 10 liveness probes late in the stall, got ${late.length}`);
    assert.ok(
      late.every((s) => s.outcome === 503),
      `liveness late in the stall: ${outcomes(late)}`,
    );
    const metricsLate = during(run.metrics, run.startedMs + LIMIT_MS + 300, run.endedMs - 200);
    assert.ok(
      metricsLate.length >= 10 && metricsLate.every((s) => s.outcome === 200),
      `/metrics during the stall: ${outcomes(metricsLate)}`,
    );
    // Readiness is answered by the stalled loop itself: past timeoutSeconds it fails.
    const readinessLate = during(run.readiness, run.startedMs + 200, run.endedMs - READINESS_PROBE.timeoutSeconds * 1000 - 200);
    assert.ok(readinessLate.length >= 10 && readinessLate.every((s) => !s.ok), `readiness during the stall: ${outcomes(readinessLate)}`);
    const unrouted = firstTrip(run.readiness, READINESS_PROBE, STEP_MS);
    assert.ok(unrouted !== undefined && unrouted < run.endedMs, 'with the manifest period and threshold, a 4 s stall unroutes the pod');
    // After the stall the loop turns again: every probe is green.
    for (const [name, samples] of Object.entries({ liveness: run.liveness, readiness: run.readiness, metrics: run.metrics })) {
      const afterStall = during(samples, run.endedMs + 200, Number.POSITIVE_INFINITY);
      assert.ok(afterStall.length >= 5 && afterStall.every((s) => s.outcome === 200), `${name} after the stall: ${outcomes(afterStall)}`);
    }
  });

  it('a stall shorter than the limit (and than the readiness timeout) keeps both probes green', async () => {
    const run = await probeThroughStall(500);
    const inside = during(run.liveness, run.startedMs, run.endedMs);
    assert.ok(inside.length >= 3, `expected >= 3 liveness probes inside the stall, got ${inside.length}`);
    assert.ok(
      run.liveness.every((s) => s.outcome === 200),
      `liveness: ${outcomes(run.liveness)}`,
    );
    // Probes sent during the stall wait for the loop, but less than timeoutSeconds.
    assert.ok(
      run.readiness.every((s) => s.outcome === 200),
      `readiness: ${outcomes(run.readiness)}`,
    );
    assert.equal(firstTrip(run.readiness, READINESS_PROBE, STEP_MS), undefined);
  });
});

describe("the downstream Deployment's probes on a real downstream process (same serve() as the api)", () => {
  it('fails as soon as SIGTERM arrives, while in-flight requests still drain', async () => {
    const [downstreamDeployment] = workloads().downstream;
    const c = downstreamDeployment.spec?.template.spec?.containers[0] as IContainer;
    const env = Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? '']));
    // Every /api/work request takes ~1.5 s (log-normal: 0.8-3.3 s in all but 0.2 % of draws) and the
    // drain may take 5 s: one request in flight keeps the process draining after SIGTERM.
    const service = await startService(DOWNSTREAM_SERVER, {
      ...env,
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: '0',
      DOWNSTREAM_LATENCY_MS: '1500',
      SHUTDOWN_DRAIN_MS: '5000',
    });
    try {
      const readinessUrl = `${service.url}${c.readinessProbe?.httpGet?.path}`;
      assert.equal(String(c.readinessProbe?.httpGet?.port), 'http');
      assert.equal((await probeOnce(readinessUrl, 1000)).outcome, 200, 'ready before the signal');
      assert.equal(String(c.livenessProbe?.httpGet?.port), 'metrics');
      assert.ok(service.metricsUrl, 'downstream serves watchdog metrics');
      const livenessUrl = `${new URL(service.metricsUrl).origin}${c.livenessProbe?.httpGet?.path}`;
      assert.equal((await probeOnce(livenessUrl, 1000)).outcome, 200, "downstream's liveness path answers");
      const slow = fetch(`${service.url}/api/work`).then(
        (r) => r.status,
        (e: Error) => e.message,
      );
      await new Promise((r) => setTimeout(r, 300));
      service.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      const during = await probeOnce(readinessUrl, 1000);
      assert.equal(service.child.exitCode, null, 'the process is still draining');
      assert.ok(!during.ok, `readiness while draining: ${during.outcome}`);
      assert.equal(await slow, 200, 'the in-flight request was allowed to finish');
    } finally {
      await stopService(service);
    }
  });
});

describe('firstTrip (the kubelet rule)', () => {
  const samples = (pattern: string): ProbeSample[] =>
    [...pattern].map((c, i) => ({ sentMs: i * 1000, ok: c === '.', outcome: c === '.' ? 200 : 'timeout' }));
  it('trips only on failureThreshold consecutive failures one period apart, at the last of them', () => {
    assert.equal(firstTrip(samples('..x.x.x..'), { periodSeconds: 2, failureThreshold: 3 }, 1000), 6000);
    assert.equal(firstTrip(samples('..x.x....'), { periodSeconds: 2, failureThreshold: 3 }, 1000), undefined);
    assert.equal(firstTrip(samples('..xx.....'), { periodSeconds: 2, failureThreshold: 2 }, 1000), undefined);
    assert.equal(firstTrip(samples('xxxx'), { periodSeconds: 1, failureThreshold: 4 }, 1000), 3000);
  });
});
