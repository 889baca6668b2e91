// Runs one scenario against a running api: checks it, switches faults per phase, drives
// the probe (whole run) and each phase's load streams, samples the watchdog port every
// second, and always leaves the service healthy, whatever ends the run.
import { METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS } from '@runtime-lab/metric-names';
import { AdminClient, type ServiceCatalogue } from './admin.js';
import { alertsSection, evaluateRunAlerts } from './analysis/alerts.js';
import { Timeline, newLatencyHistogram } from './analysis/timeline.js';
import { isLeadExpectation } from './define.js';
import type { BurstStream, LoadStream, Phase, RampStream, RateStream, Scenario, ToggleParams } from './define.js';
import { EngineError, oneLine } from './errors.js';
import { type OpenLoopOptions, type OpenLoopRecord, OpenLoopStream, constantRate, steppedRate, warmSocketsFor } from './load/open-loop.js';
import { type PressureRecord, PressureStream } from './load/pressure.js';
import { LIVENESS_DEFAULTS, type LivenessAttempt, livenessVerdict } from './analysis/liveness.js';
import { type PlannedPhase, plan, phaseAt } from './plan.js';
import { Progress } from './progress.js';
import { assembleReport } from './report/assemble.js';
import type { Report } from './report/schema.js';
import { RunnerMetrics } from './runner-metrics.js';
import { Sampler } from './sample/sampler.js';
import { StallCollector } from './sample/stalls.js';
import { type MetricsSource, classifyMetricsSource } from './sample/source.js';
import type { Snapshot } from './sample/snapshot.js';
import { assertTargetAllowed } from './targets.js';
import { checkTogglesAgainst } from './toggles.js';
import { applyQuickProfile, spanSeconds, streamName } from './validate.js';

export interface RunOptions {
  scenario: Scenario;
  /** File the scenario came from, for messages and the report. */
  source: string;
  quick?: boolean;
  /** Base URL of the api, e.g. http://127.0.0.1:8080. */
  apiUrl: string;
  /** The api's watchdog metrics endpoint, e.g. http://127.0.0.1:9464/metrics. */
  metricsUrl: string;
  allowRemote?: boolean;
  /** Port for the runner's own /metrics (0 = any free port, null = not served). */
  runnerMetricsPort?: number | null;
  /** Address the runner's /metrics listens on (default 127.0.0.1; compose sets 0.0.0.0 so Prometheus can reach it). */
  runnerMetricsHost?: string;
  /** Where live progress goes; null for none. */
  progress?: (NodeJS.WritableStream & { isTTY?: boolean }) | null;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /**
   * Alert rule files to evaluate over the run's scrapes (Prometheus semantics, via promtool);
   * empty or absent: no alert timeline in the report.
   */
  rules?: readonly string[];
}

export const PROBE_DEFAULTS = { route: '/api/ping', ratePerSecond: 50, timeoutMs: 5000, sloMs: 100 } as const;
/**
 * The cold probe's defaults; its route and SLO default to the warm probe's (the same question,
 * asked by a client without a kept-alive socket). 5 new connections a second: enough to see the
 * accept queue, little extra work for the service. A 10 s timeout: under a blocked loop new
 * connections wait seconds in the accept queue (docs/measurement.md), and a figure says more than
 * "at least the timeout".
 */
export const COLD_PROBE_DEFAULTS = { ratePerSecond: 5, timeoutMs: 10_000 } as const;
/** Seconds of probe answers the live progress line's P99s cover. */
const RECENT_SECONDS = 3;
/**
 * Open-loop streams pre-open their keep-alive sockets with this route when the target answers it
 * (preflight checks): it stays out of the probe route's server-side histogram and of the route
 * under test. A target without it warms up on the probe route.
 */
const HEALTH_PATH = '/health';
/** Faults expire on their own this long after their phase should have ended, even if the runner is killed -9. */
const TTL_MARGIN_SECONDS = 30;

function sleepUntil(epochMs: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, Math.max(0, epochMs - Date.now()));
    function done(): void {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Where the scenario switches a fault or mitigation on (the first one), or null for a load-only scenario. */
export function firstToggleField(scenario: Scenario): string | null {
  for (const [i, phase] of scenario.phases.entries()) {
    for (const kind of ['faults', 'mitigations'] as const) {
      const name = Object.keys(phase[kind] ?? {})[0];
      if (name !== undefined) return `phases[${i}].${kind}.${name}`;
    }
  }
  return null;
}

/** What the pre-run checks found out about the target. */
interface TargetFacts {
  metricsSource: MetricsSource;
  /** GET /health answered 200–399: the warm-up path and the liveness probe's default route. */
  hasHealth: boolean;
}

async function answers(url: string): Promise<{ ok: boolean; problem?: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer().catch(() => undefined);
    return response.status >= 200 && response.status < 400 ? { ok: true } : { ok: false, problem: `HTTP ${response.status}` };
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    return { ok: false, problem: cause };
  }
}

/**
 * Checks the target before anything runs. The probe route must answer (any service does). The
 * admin API and its fault catalogue are needed only when the scenario switches a fault or a
 * mitigation on; the metrics endpoint is read for what it offers and never fails the run.
 */
async function preflight(options: RunOptions, admin: AdminClient, scenario: Scenario, probeRoute: string): Promise<TargetFacts> {
  const probeUrl = new URL(probeRoute, options.apiUrl).toString();
  const [probe, health] = await Promise.all([answers(probeUrl), answers(new URL('/health', options.apiUrl).toString())]);
  if (!probe.ok && !health.ok) {
    throw new EngineError(
      'LAB_SERVICE_UNREACHABLE',
      `target not reachable at ${options.apiUrl} (GET ${probeRoute}: ${probe.problem}); start it (the lab's services: \`lab up\`)`,
    );
  }
  if (!probe.ok) {
    throw new EngineError(
      'LAB_SERVICE_UNREACHABLE',
      `the probe route GET ${probeUrl} answered ${probe.problem}; set probe.route in the scenario to a light route of this service that answers 200–399`,
    );
  }
  const { scrapeSnapshotAfter } = await import('@runtime-lab/scrape');
  let metricsSource: MetricsSource;
  try {
    // A registry snapshot taken after this check began: a watchdog may still serve the one it took
    // at start-up, before the service registered its pool and backlog metrics (seen on `lab run`
    // that started the api itself: "serves no runtime_pool_queue_size" from the lab's own api).
    const { families } = await scrapeSnapshotAfter(options.metricsUrl, performance.now(), {
      ageMetric: METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS,
      timeoutMs: 3000,
      waitMs: 3000,
    });
    metricsSource = classifyMetricsSource(options.metricsUrl, { families });
  } catch (error) {
    metricsSource = classifyMetricsSource(options.metricsUrl, { error: oneLine(error) });
  }
  // An expectation on a signal the target cannot give would only fail for want of data at the end.
  for (const [i, e] of scenario.expectations.entries()) {
    // A stream's row is client-side: every target gives it.
    const read = isLeadExpectation(e) ? [e.leads, e.before].filter((s) => typeof s === 'string') : e.stream === undefined ? [e.signal] : [];
    const missing = metricsSource.unavailable.find((u) => read.includes(u.signal));
    if (missing) {
      throw new EngineError(
        'LAB_SIGNAL_UNAVAILABLE',
        `${options.source}: expectations[${i}] reads ${missing.signal}, which this target cannot give: ${missing.reason}; point --metrics at the service's metrics or drop the expectation`,
      );
    }
  }
  const toggle = firstToggleField(scenario);
  if (toggle !== null) {
    let catalogue: ServiceCatalogue;
    try {
      catalogue = await admin.catalogue();
    } catch (error) {
      throw new EngineError(
        'LAB_ADMIN_API_MISSING',
        `${options.source}: ${toggle} switches a fault on, which needs the lab's admin API (GET ${new URL('/admin/catalogue', options.apiUrl)}: ${oneLine(error)}); a scenario without faults or mitigations (load only) runs against any HTTP service`,
      );
    }
    checkTogglesAgainst(scenario, catalogue, options.source);
  }
  return { metricsSource, hasHealth: health.ok };
}

export async function runScenario(options: RunOptions): Promise<Report> {
  const scenario = options.quick ? applyQuickProfile(options.scenario) : options.scenario;
  const log = options.log ?? (() => {});
  const allowRemote = options.allowRemote ?? false;
  assertTargetAllowed(options.apiUrl, 'api URL', allowRemote);
  assertTargetAllowed(options.metricsUrl, 'metrics URL', allowRemote);
  const probeSpec = { ...PROBE_DEFAULTS, ...scenario.probe };
  const coldSpec = { route: probeSpec.route, sloMs: probeSpec.sloMs, ...COLD_PROBE_DEFAULTS, ...scenario.coldProbe };
  const admin = new AdminClient(options.apiUrl);
  const facts = await preflight(options, admin, scenario, probeSpec.route);
  // Without faults nothing is switched on, so there is nothing to switch off (and the target
  // may have no admin API at all).
  const usesAdmin = firstToggleField(scenario) !== null;
  const warmupPath = facts.hasHealth ? HEALTH_PATH : probeSpec.route;
  // The kubelet default route is the lab's /health; a target without it is probed on the probe route.
  const livenessRoute = scenario.liveness?.route ?? (facts.hasHealth ? LIVENESS_DEFAULTS.route : probeSpec.route);
  const livenessSpec = { ...LIVENESS_DEFAULTS, ...scenario.liveness, route: livenessRoute };
  const livenessAttempts: LivenessAttempt[] = [];
  const phases = plan(scenario.phases);
  const totalSeconds = scenario.phases.reduce((acc, p) => acc + p.durationSeconds, 0);
  // A callback of ours that throws (a record handler, the progress line) runs outside the
  // phase loop's try: it aborts the run through this controller, so the service is restored
  // exactly as for SIGINT, instead of an unhandled exception killing the process first.
  const internal = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, internal.signal]) : internal.signal;
  const guard: Guard =
    (where, fn) =>
    (...args): void => {
      try {
        fn(...args);
      } catch (error) {
        internal.abort(new Error(`${where} threw: ${oneLine(error)}`));
      }
    };

  // Start from a known state: whatever was left on by hand or by an earlier run is switched off.
  if (usesAdmin) await admin.clearAll();

  const metrics = new RunnerMetrics(scenario.name);
  if (options.runnerMetricsPort !== null && options.runnerMetricsPort !== undefined) {
    try {
      const host = options.runnerMetricsHost ?? '127.0.0.1';
      const port = await metrics.listen(options.runnerMetricsPort, host);
      log(`runner metrics on http://${host}:${port}/metrics`);
    } catch (error) {
      log(`warning: runner metrics not served (${oneLine(error)}); the run goes on without them`);
    }
  }

  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const startedAt = new Date();
  const scheduleError = newLatencyHistogram();
  let timeline: Timeline | undefined;
  let currentPhase = phases[0]?.phase.name ?? '';
  const activeToggles = new Map<string, string>();

  // A GET stream at a constant rate for the whole run (probes: warm, cold, liveness).
  const wholeRun = (
    route: string,
    ratePerSecond: number,
    timeoutMs: number,
    extra: Partial<OpenLoopOptions> & Pick<OpenLoopOptions, 'onRecords'>,
  ) =>
    new OpenLoopStream({
      url: new URL(route, options.apiUrl).toString(),
      method: 'GET',
      timeoutMs,
      durationMs: totalSeconds * 1000,
      segments: constantRate(ratePerSecond),
      ...extra,
    });
  const probe = wholeRun(probeSpec.route, probeSpec.ratePerSecond, probeSpec.timeoutMs, {
    warmup: { path: warmupPath, sockets: warmSocketsFor(probeSpec.ratePerSecond) },
    onRecords: guard('recording probe results', (records) => {
      for (const r of records) {
        timeline?.addClient('probe', r.intendedMs, r.latencyMs, r.outcome, r.sendErrorMs);
        if (timeline) metrics.observe(phaseAt(phases, timeline.binOf(r.intendedMs)), 'probe', 'probe', r.latencyMs, r.outcome);
        scheduleError.recordValue(Math.max(1, Math.round(r.sendErrorMs * 1000)));
      }
    }),
  });
  // The cold population: a new connection per request, from the first second to the last.
  const coldProbe = wholeRun(coldSpec.route, coldSpec.ratePerSecond, coldSpec.timeoutMs, {
    connection: 'new',
    onRecords: guard('recording cold probe results', (records) => {
      for (const r of records) {
        timeline?.addClient('cold', r.intendedMs, r.latencyMs, r.outcome, r.sendErrorMs);
        if (timeline) metrics.observe(phaseAt(phases, timeline.binOf(r.intendedMs)), 'cold-probe', 'cold-probe', r.latencyMs, r.outcome);
      }
    }),
  });
  // The kubelet's liveness probe: a new connection every periodSeconds, timeoutSeconds each.
  const liveness = wholeRun(livenessSpec.route, 1 / livenessSpec.periodSeconds, livenessSpec.timeoutSeconds * 1000, {
    connection: 'new',
    onRecords: guard('recording liveness probe results', (records) => {
      for (const r of records) {
        if (!timeline) continue;
        const outcome = r.outcome === 'ok' ? 'ok' : r.outcome === 'timeout' ? 'timeout' : 'failed';
        livenessAttempts.push({ atSeconds: (r.intendedMs - timeline.startMs) / 1000, latencyMs: r.latencyMs, outcome });
        metrics.observeLiveness(outcome);
      }
    }),
  });
  // Scenario-level streams: one worker each from the start of their first phase to the end of
  // their last, opened (and warmed up) with the probes, never restarted at a phase boundary.
  const acrossPhases = (scenario.streams ?? []).map((stream) => {
    const name = stream.name as string;
    const first = stream.phases ? phases.findIndex((p) => p.phase.name === stream.phases?.from) : 0;
    const offsetSeconds = phases[first]?.startSeconds ?? 0;
    return {
      offsetSeconds,
      ...openLoopFor(stream, urlOf(stream, options.apiUrl), stream.timeoutMs ?? 5000, {
        startMs: 0,
        durationMs: spanSeconds(scenario.phases, stream.phases) * 1000,
        warmupPath,
        record: guard(`recording ${name} results`, (records: OpenLoopRecord[]) => {
          if (timeline) recordOpenLoop(timeline, metrics, phases, name, stream.kind, records);
        }),
      }),
    };
  });
  const progress = options.progress ? new Progress(options.progress) : undefined;
  let lastSnapshot: Snapshot | undefined;
  const sampler: Sampler | undefined =
    facts.metricsSource.kind === 'none'
      ? undefined
      : new Sampler({
          metricsUrl: options.metricsUrl,
          probeRoute: probeSpec.route,
          onError: (error) => internal.abort(new Error(`handling a watchdog scrape threw: ${oneLine(error)}`)),
          onSnapshot: (snapshot) => {
            if (!snapshot.error) lastSnapshot = snapshot;
            if (!progress || !timeline) return;
            const bin = timeline.binOf(Date.now());
            const recentP99 = (kind: 'probe' | 'cold'): number | null => {
              const recent = timeline?.clientWindow(kind, bin - RECENT_SECONDS + 1, bin + 1);
              return recent && recent.histogram.totalCount > 0 ? recent.histogram.getValueAtPercentile(99) / 1e6 : null;
            };
            progress.update({
              phase: currentPhase,
              elapsedSeconds: Math.min(totalSeconds, Math.max(0, (Date.now() - timeline.startMs) / 1000)),
              totalSeconds,
              probeP99Seconds: recentP99('probe'),
              coldProbeP99Seconds: recentP99('cold'),
              recentSeconds: RECENT_SECONDS,
              loopStallSeconds: lastSnapshot?.loopStall ?? null,
              loopDelayMaxSeconds: lastSnapshot?.loopDelayMax ?? null,
              loopDelayMaxWindowSeconds: lastSnapshot?.loopDelayMaxWindowSeconds ?? null,
              faults: [...activeToggles.keys()],
            });
          },
        });

  // Only the lab's telemetry plugin attributes stalls; other targets have no /stalls to poll.
  const stallCollector = facts.metricsSource.kind === 'telemetry' ? new StallCollector(options.metricsUrl) : undefined;
  let stalls: Awaited<ReturnType<StallCollector['stop']>> | undefined;
  const pending: Promise<unknown>[] = [];
  let running: (() => Promise<unknown>)[] = [];
  let restored = false;
  let failure: unknown;
  try {
    await Promise.all([probe.ready(), coldProbe.ready(), liveness.ready(), ...acrossPhases.map((a) => a.stream.ready())]);
    const startMs = Date.now() + 100;
    timeline = new Timeline(startMs, totalSeconds);
    probe.start(startMs);
    coldProbe.start(startMs);
    liveness.start(startMs);
    for (const a of acrossPhases) a.stream.start(startMs + a.offsetSeconds * 1000);
    sampler?.start(startMs);
    stallCollector?.start();

    for (const planned of phases) {
      const { phase } = planned;
      const phaseStartMs = startMs + planned.startSeconds * 1000;
      const phaseEndMs = phaseStartMs + phase.durationSeconds * 1000;
      await sleepUntil(phaseStartMs, signal);
      currentPhase = phase.name;
      metrics.enterPhase(phase.name);
      log(`phase ${phase.name} (${phase.durationSeconds} s)`);
      await applyToggles(admin, activeToggles, phase);
      running = await startStreams(phase, phaseEndMs, options, warmupPath, phases, timeline, metrics, signal, guard);
      await sleepUntil(phaseEndMs, signal);
      pending.push(...running.map((stop) => stop()));
      running = [];
    }
    await Promise.race([
      Promise.all([probe.done(), coldProbe.done(), liveness.done(), ...acrossPhases.map((a) => a.stream.done())]),
      aborted(signal),
    ]);
    await Promise.race([Promise.all(pending), aborted(signal)]);
  } catch (error) {
    failure = error;
    pending.push(...running.map((stop) => stop()));
    await Promise.all([probe, coldProbe, liveness, ...acrossPhases.map((a) => a.stream)].map((stream) => stream.kill().catch(() => {})));
  } finally {
    await sampler?.stop().catch(() => {});
    stalls = await stallCollector?.stop().catch(() => undefined);
    progress?.end();
    metrics.finish();
    try {
      if (usesAdmin) await admin.clearAll();
      restored = true;
      activeToggles.clear();
    } catch (error) {
      failure ??= error;
    }
    await Promise.allSettled(pending);
    await metrics.close();
  }
  const faultsState = !usesAdmin ? 'the scenario set no faults' : restored ? 'faults switched off' : 'faults NOT restored';
  if (failure !== undefined || signal.aborted) {
    if (options.signal?.aborted) {
      const reason = options.signal.reason instanceof Error ? options.signal.reason.message : String(options.signal.reason ?? 'aborted');
      throw new EngineError('LAB_INTERRUPTED', `run interrupted (${reason}); ${faultsState}`);
    }
    if (internal.signal.aborted) throw new EngineError('LAB_RUN_FAILED', `run aborted: ${oneLine(internal.signal.reason)}; ${faultsState}`);
    if (failure instanceof EngineError) throw failure;
    throw new EngineError('LAB_RUN_FAILED', `run failed: ${oneLine(failure)}; ${faultsState}`);
  }

  const tl = timeline as Timeline;
  tl.setSnapshots(sampler?.snapshots ?? []);
  const cpu = process.cpuUsage(cpuBefore);
  const report = assembleReport({
    scenario,
    source: options.source,
    quick: options.quick ?? false,
    target: { apiUrl: options.apiUrl, metricsUrl: options.metricsUrl },
    metricsSource: facts.metricsSource,
    usesAdmin,
    probe: { route: probeSpec.route, ratePerSecond: probeSpec.ratePerSecond, timeoutMs: probeSpec.timeoutMs, sloMs: probeSpec.sloMs },
    coldProbe: coldSpec,
    liveness: livenessVerdict(livenessSpec, livenessAttempts),
    phases,
    timeline: tl,
    startedAt,
    wallSeconds: (performance.now() - wallBefore) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    scheduleError:
      scheduleError.totalCount > 0 ? { p99Ms: scheduleError.getValueAtPercentile(99) / 1000, maxMs: scheduleError.maxValue / 1000 } : null,
    probeSockets: probe.openSockets,
    restored,
    ...(stalls ? { stalls } : {}),
  });
  if (options.rules && options.rules.length > 0) {
    // The labels a Prometheus scrape of the watchdog port adds (prometheus/prometheus.yml: job "api").
    const instance = new URL(options.metricsUrl).host;
    report.alerts = sampler
      ? await evaluateRunAlerts(sampler.scrapes, tl.startMs, options.rules, { job: 'api', instance }, report.leadTimeReference)
      : alertsSection(
          { evaluated: false, reason: 'alerts not evaluated: the target exposes no metrics to evaluate them on' },
          options.rules,
          report.leadTimeReference,
          0,
          tl.startMs,
        );
  }
  return report;
}

/** Wraps a callback so that an exception in it aborts the run (where: what it was doing). */
type Guard = <A extends unknown[]>(where: string, fn: (...args: A) => void) => (...args: A) => void;

/** Rejects when `signal` aborts: an abort must not wait for a stream that is still finishing. */
function aborted(signal: AbortSignal): Promise<never> {
  const promise = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  // Raced once; an abort after the race was decided must not surface as an unhandled rejection.
  promise.catch(() => {});
  return promise;
}

async function applyToggles(admin: AdminClient, active: Map<string, string>, phase: Phase): Promise<void> {
  const wanted = new Map<string, ToggleParams>([...Object.entries(phase.faults ?? {}), ...Object.entries(phase.mitigations ?? {})]);
  for (const name of [...active.keys()]) {
    if (!wanted.has(name)) {
      await admin.clear(name);
      active.delete(name);
    }
  }
  for (const [name, params] of wanted) {
    // Also when nothing changed: the PUT renews the TTL for this phase.
    await admin.set(name, params, phase.durationSeconds + TTL_MARGIN_SECONDS);
    active.set(name, JSON.stringify(params));
  }
}

/** Starts a phase's streams; returns one stopper per stream. */
async function startStreams(
  phase: Phase,
  phaseEndMs: number,
  options: RunOptions,
  warmupPath: string,
  phases: PlannedPhase[],
  timeline: Timeline,
  metrics: RunnerMetrics,
  signal: AbortSignal | undefined,
  guard: Guard,
): Promise<(() => Promise<unknown>)[]> {
  const stoppers: (() => Promise<unknown>)[] = [];
  const streams = phase.streams ?? [];
  for (const [index, stream] of streams.entries()) {
    const name = streamName(stream, index);
    const url = urlOf(stream, options.apiUrl);
    const timeoutMs = stream.timeoutMs ?? 5000;
    const remainingMs = Math.max(1000, phaseEndMs - Date.now());
    if (stream.kind === 'pressure') {
      const pressure = new PressureStream({
        url,
        method: stream.method ?? 'GET',
        ...(stream.body === undefined ? {} : { body: JSON.stringify(stream.body) }),
        connections: stream.connections,
        durationSeconds: Math.ceil(remainingMs / 1000) + 5,
        timeoutMs,
        onRecord: guard(`recording ${name} results`, (r: PressureRecord) => {
          timeline.addClient('pressure', r.atMs - (r.latencyMs ?? 0), r.latencyMs, r.outcome);
          timeline.addStream(name, r.atMs - (r.latencyMs ?? 0), r.latencyMs, r.outcome);
          metrics.observe(phase.name, name, 'pressure', r.latencyMs, r.outcome);
        }),
      });
      stoppers.push(() => pressure.stop());
      continue;
    }
    const open = openLoopFor(stream, url, timeoutMs, {
      startMs: stream.kind === 'burst' ? phaseEndMs - phase.durationSeconds * 1000 : Date.now(),
      durationMs: remainingMs,
      warmupPath,
      record: guard(`recording ${name} results`, (records: OpenLoopRecord[]) =>
        recordOpenLoop(timeline, metrics, phases, name, stream.kind, records),
      ),
    });
    await open.stream.ready();
    if (signal?.aborted) {
      await open.stream.kill();
      break;
    }
    open.stream.start(open.startMs);
    stoppers.push(() => open.stream.stop());
  }
  return stoppers;
}

/** The stream's URL on the target, with its query string. */
function urlOf(stream: LoadStream, baseUrl: string): string {
  const url = new URL(stream.route, baseUrl);
  if ('query' in stream && stream.query) for (const [key, value] of Object.entries(stream.query)) url.searchParams.append(key, value);
  return url.toString();
}

/** Records an open-loop stream's results: under its kind (the rampP99 signal), under its name, and in the runner's metrics. */
function recordOpenLoop(
  timeline: Timeline,
  metrics: RunnerMetrics,
  phases: PlannedPhase[],
  name: string,
  kind: 'ramp' | 'rate' | 'burst',
  records: OpenLoopRecord[],
): void {
  for (const r of records) {
    timeline.addClient('ramp', r.intendedMs, r.latencyMs, r.outcome, r.sendErrorMs);
    timeline.addStream(name, r.intendedMs, r.latencyMs, r.outcome, r.sendErrorMs);
    metrics.observe(phaseAt(phases, timeline.binOf(r.intendedMs)), name, kind, r.latencyMs, r.outcome);
  }
}

/** The headers and the body or variant list of a rate or burst stream, as the open-loop worker takes them (bodies as JSON text). */
function requestListOf(stream: RateStream | BurstStream, url: string): Pick<OpenLoopOptions, 'headers' | 'bodies' | 'variants'> {
  const { headers, bodies, variants } = stream;
  return {
    ...(headers ? { headers } : {}),
    ...(bodies ? { bodies: { values: bodies.values.map((v) => JSON.stringify(v)), pick: bodies.pick, seed: bodies.seed ?? 1 } } : {}),
    ...(variants
      ? {
          variants: {
            values: variants.values.map((v) => ({
              ...(v.query ? { path: pathWithQuery(url, v.query) } : {}),
              ...(v.headers ? { headers: v.headers } : {}),
              ...(v.body === undefined ? {} : { body: JSON.stringify(v.body) }),
            })),
            pick: variants.pick,
            seed: variants.seed ?? 1,
          },
        }
      : {}),
  };
}

/** `url`'s path and query with `query`'s parameters set over its own (a parameter of the same name is replaced). */
function pathWithQuery(url: string, query: Record<string, string>): string {
  const target = new URL(url);
  for (const [key, value] of Object.entries(query)) target.searchParams.set(key, value);
  return `${target.pathname}${target.search}`;
}

/**
 * An open-loop worker for a ramp, rate or burst stream, from `startMs` for `durationMs`
 * (a burst's requests are all due `atSecond` after `startMs`).
 */
function openLoopFor(
  stream: RampStream | RateStream | BurstStream,
  url: string,
  timeoutMs: number,
  at: { startMs: number; durationMs: number; warmupPath: string; record: (records: OpenLoopRecord[]) => void },
): { stream: OpenLoopStream; startMs: number } {
  const body = stream.body === undefined ? undefined : JSON.stringify(stream.body);
  const shape = stream.kind === 'ramp' ? {} : requestListOf(stream, url);
  const schedule =
    stream.kind === 'ramp'
      ? { segments: steppedRate(stream.startRate, stream.stepRate, stream.stepSeconds, at.durationMs, stream.maxRate) }
      : stream.kind === 'rate'
        ? { segments: constantRate(stream.ratePerSecond) }
        : { segments: constantRate(1), instantsMs: Array.from({ length: stream.count }, () => stream.atSecond * 1000) };
  // For its starting rate only: a pool for the peak opened at once, mid-run, disturbs the
  // service and the probe (seen once: 256 connects put 80 ms on the probe's send lateness,
  // 80 connects 14 ms); faster steps open their extra connections as they come.
  const warmRate = stream.kind === 'ramp' ? stream.startRate : stream.kind === 'rate' ? stream.ratePerSecond : stream.count / 2;
  const open = new OpenLoopStream({
    url,
    method: stream.method ?? 'GET',
    ...(body === undefined ? {} : { body }),
    ...shape,
    timeoutMs,
    durationMs: at.durationMs,
    ...schedule,
    warmup: { path: at.warmupPath, sockets: warmSocketsFor(warmRate) },
    onRecords: at.record,
  });
  return { stream: open, startMs: at.startMs };
}
