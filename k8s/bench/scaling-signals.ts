// What an autoscaler and the kubelet would have seen during the lab's fault scenarios, measured on
// real processes (no cluster runs here). For each scenario: start downstream and the api with the
// api Deployment's environment, run `lab run <name> --quick` against them, and meanwhile every
// 250 ms scrape the watchdog port and probe /livez and /health the kubelet's way. Per phase it
// prints CPU (cores, from process_cpu_seconds_total between snapshots), in-flight requests and
// ELU (the gauges the KEDA triggers read), the longest stall, and the proposals each autoscaler
// would make for one replica; and whether the manifest's liveness/readiness settings would
// have restarted or unrouted the pod.
// Means and maxima leave out each phase's settle seconds (as the lab's report does); the first
// crossing of each KEDA target and the kubelet verdicts count from the phase's first second.
// Usage (inside netns-run): node k8s/dist/bench/scaling-signals.js [outDir] [scenario ...]
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import {
  METRIC_EVENTLOOP_STALL_SECONDS,
  METRIC_EVENTLOOP_UTILIZATION_RATIO,
  METRIC_HTTP_REQUESTS_INFLIGHT,
  METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS,
} from '@runtime-lab/metric-names';
import { parseExposition, snapshotTakenAtMs, sumOf } from '@runtime-lab/scrape';
import { API_SERVER, DOWNSTREAM_SERVER, REPO_ROOT, startService, stopService } from '@runtime-lab/test-kit';
import type { IContainer } from 'kubernetes-models/v1';
import {
  CPU_UTILIZATION_TARGET_PERCENT,
  ELU_PER_POD_TARGET,
  firstTrip,
  INFLIGHT_PER_POD_TARGET,
  LIVENESS_PROBE,
  type ProbeSample,
  probeOnce,
  READINESS_PROBE,
  SERVICES,
  workloads,
} from '../src/index.js';

const LAB = join(REPO_ROOT, 'packages/cli/dist/src/bin.js');
const STEP_MS = 250;
const DEFAULT_SCENARIOS = ['blocking', 'blocking-microtask', 'executor', 'threadpool', 'queue-amplification', 'ramp'];

interface Scrape {
  atMs: number;
  /** When the registry snapshot was taken (scrape time minus its age). */
  snapshotAtMs: number;
  cpuSeconds: number;
  inflight: number;
  elu: number;
  stallSeconds: number;
}

// prom-client's default process metric (not one of ours, so not in @runtime-lab/metric-names).
const PROCESS_CPU_SECONDS_TOTAL = 'process_cpu_seconds_total';

async function scrape(url: string): Promise<Scrape | undefined> {
  const atMs = Date.now();
  try {
    const families = parseExposition(await (await fetch(url, { signal: AbortSignal.timeout(1000) })).text());
    const value = (name: string): number => sumOf(families, name) ?? Number.NaN;
    return {
      atMs,
      snapshotAtMs: snapshotTakenAtMs(atMs, sumOf(families, METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS)),
      cpuSeconds: value(PROCESS_CPU_SECONDS_TOTAL),
      inflight: value(METRIC_HTTP_REQUESTS_INFLIGHT),
      elu: value(METRIC_EVENTLOOP_UTILIZATION_RATIO),
      stallSeconds: value(METRIC_EVENTLOOP_STALL_SECONDS),
    };
  } catch {
    return undefined;
  }
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const cpuRequestCores = Number.parseInt(SERVICES.api.resources.cpuRequest, 10) / 1000;

/** The HPA's proposal for one replica: ceil(1 x value / target), unchanged within its 10 % tolerance. */
function proposal(value: number, target: number): number {
  const ratio = value / target;
  return Math.abs(ratio - 1) <= 0.1 ? 1 : Math.max(1, Math.ceil(ratio));
}

interface PhaseFigures {
  phase: string;
  seconds: number;
  cpuCores: number;
  inflightMean: number;
  inflightMax: number;
  eluMean: number;
  eluMax: number;
  stallMaxSeconds: number;
  hpaCpu: number;
  kedaInflight: number;
  kedaElu: number;
  livezFailures: number;
  healthFailures: number;
  restartAtSeconds: number | undefined;
  unroutedAtSeconds: number | undefined;
  /** First scrape in the phase above the KEDA target by more than the HPA's 10 % tolerance. */
  inflightAboveAtSeconds: number | undefined;
  eluAboveAtSeconds: number | undefined;
}

async function runScenario(
  name: string,
  outDir: string,
  env: Record<string, string>,
): Promise<{ name: string; exitCode: number | null; loadAverage: number[]; probeSlo: string; phases: PhaseFigures[] }> {
  const loadAverage = [loadavg()[0] ?? Number.NaN];
  const downstream = await startService(DOWNSTREAM_SERVER);
  const api = await startService(API_SERVER, {
    ...env,
    HOST: '127.0.0.1',
    PORT: '0',
    METRICS_HOST: '127.0.0.1',
    METRICS_PORT: '0',
    DOWNSTREAM_URL: downstream.url,
  });
  if (!api.metricsUrl) throw new Error('the api serves no watchdog metrics');
  const metricsUrl = api.metricsUrl;
  const watchdog = new URL(metricsUrl).origin;
  const scrapes: Scrape[] = [];
  const livez: ProbeSample[] = [];
  const health: ProbeSample[] = [];
  let running = true;
  const sampler = (async () => {
    const pending: Promise<unknown>[] = [];
    while (running) {
      pending.push(scrape(metricsUrl).then((s) => s && scrapes.push(s)));
      pending.push(
        probeOnce(`${watchdog}${LIVENESS_PROBE.path}`, LIVENESS_PROBE.timeoutSeconds * 1000, Date.now).then((s) => livez.push(s)),
      );
      pending.push(
        probeOnce(`${api.url}${READINESS_PROBE.path}`, READINESS_PROBE.timeoutSeconds * 1000, Date.now).then((s) => health.push(s)),
      );
      await new Promise((r) => setTimeout(r, STEP_MS));
    }
    await Promise.all(pending);
  })();
  const out = join(outDir, name);
  const exitCode = await new Promise<number | null>((resolve) => {
    const child = spawn(
      process.execPath,
      [LAB, 'run', name, '--quick', '--no-start', '--api', api.url, '--metrics', metricsUrl, '--runner-port', 'off', '--out', out],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, CI: 'true' },
      },
    );
    child.on('exit', (code) => resolve(code));
  });
  running = false;
  await sampler;
  await stopService(api);
  await stopService(downstream);

  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
    startedAt: string;
    phases: Array<{ name: string; startSeconds: number; durationSeconds: number; settleSeconds: number }>;
    leadTimeReference: { onsetPhase: string; onsetSeconds: number; sloSeconds: number; sloBreachSeconds: number | null };
  };
  const ref = report.leadTimeReference;
  const sloBreach = ref.sloBreachSeconds === null ? 'never' : `+${(ref.sloBreachSeconds - ref.onsetSeconds).toFixed(0)} s`;
  const probeSlo = `probe P99 above its ${ref.sloSeconds * 1000} ms SLO: ${sloBreach} into ${ref.onsetPhase}`;
  const t0 = Date.parse(report.startedAt);
  const phases = report.phases.map((p): PhaseFigures => {
    const from = t0 + p.startSeconds * 1000;
    const to = from + p.durationSeconds * 1000;
    const inPhase = scrapes.filter((s) => s.atMs >= from && s.atMs < to);
    // Means and maxima leave out the phase's settle seconds, as the lab's own report does;
    // crossings and probe verdicts count from the phase's first second.
    const settled = inPhase.filter((s) => s.atMs >= from + p.settleSeconds * 1000);
    const bySnapshot = [...settled].sort((a, b) => a.snapshotAtMs - b.snapshotAtMs);
    const first = bySnapshot[0];
    const last = bySnapshot.at(-1);
    const cpuCores =
      first && last && last.snapshotAtMs > first.snapshotAtMs
        ? (last.cpuSeconds - first.cpuSeconds) / ((last.snapshotAtMs - first.snapshotAtMs) / 1000)
        : Number.NaN;
    const inflight = settled.map((s) => s.inflight);
    const elu = settled.map((s) => s.elu);
    const probesIn = (samples: ProbeSample[]) => samples.filter((s) => s.sentMs >= from && s.sentMs < to);
    const restart = firstTrip(probesIn(livez), LIVENESS_PROBE, STEP_MS);
    const unrouted = firstTrip(probesIn(health), READINESS_PROBE, STEP_MS);
    const firstAbove = (pick: (s: Scrape) => number, target: number): number | undefined => {
      const hit = inPhase.find((s) => pick(s) > target * 1.1);
      return hit === undefined ? undefined : (hit.atMs - from) / 1000;
    };
    return {
      phase: p.name,
      seconds: p.durationSeconds,
      cpuCores,
      inflightMean: mean(inflight),
      inflightMax: Math.max(...inflight),
      eluMean: mean(elu),
      eluMax: Math.max(...elu),
      stallMaxSeconds: Math.max(...settled.map((s) => s.stallSeconds)),
      hpaCpu: proposal((cpuCores / cpuRequestCores) * 100, CPU_UTILIZATION_TARGET_PERCENT),
      kedaInflight: proposal(mean(inflight), INFLIGHT_PER_POD_TARGET),
      kedaElu: proposal(mean(elu), ELU_PER_POD_TARGET),
      livezFailures: probesIn(livez).filter((s) => !s.ok).length,
      healthFailures: probesIn(health).filter((s) => !s.ok).length,
      restartAtSeconds: restart === undefined ? undefined : (restart - from) / 1000,
      unroutedAtSeconds: unrouted === undefined ? undefined : (unrouted - from) / 1000,
      inflightAboveAtSeconds: firstAbove((s) => s.inflight, INFLIGHT_PER_POD_TARGET),
      eluAboveAtSeconds: firstAbove((s) => s.elu, ELU_PER_POD_TARGET),
    };
  });
  loadAverage.push(loadavg()[0] ?? Number.NaN);
  return { name, exitCode, loadAverage, probeSlo, phases };
}

const [outArg, ...names] = process.argv.slice(2);
const outDir = outArg ?? join(REPO_ROOT, 'reports', 'scaling-signals');
mkdirSync(outDir, { recursive: true });
const [deployment] = workloads().api;
const container = deployment.spec?.template.spec?.containers[0] as IContainer;
const env = Object.fromEntries((container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? '']));

const results = [];
for (const name of names.length ? names : DEFAULT_SCENARIOS) {
  const result = await runScenario(name, outDir, env);
  results.push(result);
  const load = result.loadAverage.map((l) => l.toFixed(1)).join(' → ');
  console.log(`\n${name} (lab run exit ${result.exitCode}; 1-min load average ${load} on ${cpus().length} CPUs; ${result.probeSlo})`);
  console.log(
    'phase | s | CPU cores | in-flight mean/max | ELU mean/max | stall max s | HPA-CPU | KEDA in-flight | KEDA ELU | in-flight above at | ELU above at | /livez fails | /health fails | restart at | unrouted at',
  );
  for (const p of result.phases) {
    const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
    const at = (x: number | undefined) => (x === undefined ? 'never' : `+${x.toFixed(1)} s`);
    console.log(
      `${p.phase} | ${p.seconds} | ${f(p.cpuCores)} | ${f(p.inflightMean, 1)}/${f(p.inflightMax, 0)} | ${f(p.eluMean)}/${f(p.eluMax)} | ${f(p.stallMaxSeconds)} | ${p.hpaCpu} | ${p.kedaInflight} | ${p.kedaElu} | ${at(p.inflightAboveAtSeconds)} | ${at(p.eluAboveAtSeconds)} | ${p.livezFailures} | ${p.healthFailures} | ${at(p.restartAtSeconds)} | ${at(p.unroutedAtSeconds)}`,
    );
  }
}
writeFileSync(join(outDir, 'scaling-signals.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote ${join(outDir, 'scaling-signals.json')}`);
