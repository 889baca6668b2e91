// Runs one scenario against a running api: checks it, switches faults per phase, drives
// the probe (whole run) and each phase's load streams, samples the watchdog port every
// second, and always leaves the service healthy, whatever ends the run.
import { AdminClient } from './admin.js';
import { evaluateRunAlerts } from './analysis/alerts.js';
import { Timeline, newLatencyHistogram } from './analysis/timeline.js';
import type { Phase, Scenario, ToggleParams } from './define.js';
import { EngineError, oneLine } from './errors.js';
import { type OpenLoopOptions, type OpenLoopRecord, OpenLoopStream, constantRate, steppedRate, warmSocketsFor } from './load/open-loop.js';
import { type PressureRecord, PressureStream } from './load/pressure.js';
import { LIVENESS_DEFAULTS, type LivenessAttempt, livenessVerdict } from './analysis/liveness.js';
import { plan, phaseAt } from './plan.js';
import { Progress } from './progress.js';
import { assembleReport } from './report/assemble.js';
import type { Report } from './report/schema.js';
import { RunnerMetrics } from './runner-metrics.js';
import { Sampler } from './sample/sampler.js';
import type { Snapshot } from './sample/snapshot.js';
import { assertTargetAllowed } from './targets.js';
import { checkTogglesAgainst } from './toggles.js';
import { applyQuickProfile, streamName } from './validate.js';

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
 * Open-loop streams pre-open their keep-alive sockets with this route: preflight has checked it
 * answers, and it stays out of the probe route's server-side histogram and of the route under test.
 */
const WARMUP_PATH = '/health';
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

async function preflight(options: RunOptions, admin: AdminClient, scenario: Scenario): Promise<void> {
  try {
    const response = await fetch(new URL('/health', options.apiUrl), { signal: AbortSignal.timeout(3000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  } catch (error) {
    throw new EngineError('LAB_SERVICE_UNREACHABLE', `api not reachable at ${options.apiUrl}/health (${oneLine(error)}); start it with \`lab up\``);
  }
  const { scrapeMetrics } = await import('@runtime-lab/scrape');
  try {
    await scrapeMetrics(options.metricsUrl, 3000);
  } catch (error) {
    throw new EngineError('LAB_SERVICE_UNREACHABLE', `watchdog metrics not reachable: ${oneLine(error)}`);
  }
  checkTogglesAgainst(scenario, await admin.catalogue(), options.source);
}

export async function runScenario(options: RunOptions): Promise<Report> {
  const scenario = options.quick ? applyQuickProfile(options.scenario) : options.scenario;
  const log = options.log ?? (() => {});
  const allowRemote = options.allowRemote ?? false;
  assertTargetAllowed(options.apiUrl, 'api URL', allowRemote);
  assertTargetAllowed(options.metricsUrl, 'metrics URL', allowRemote);
  const probeSpec = { ...PROBE_DEFAULTS, ...scenario.probe };
  const coldSpec = { route: probeSpec.route, sloMs: probeSpec.sloMs, ...COLD_PROBE_DEFAULTS, ...scenario.coldProbe };
  const livenessSpec = { ...LIVENESS_DEFAULTS, ...scenario.liveness };
  const livenessAttempts: LivenessAttempt[] = [];
  const phases = plan(scenario.phases);
  const totalSeconds = scenario.phases.reduce((acc, p) => acc + p.durationSeconds, 0);
  const admin = new AdminClient(options.apiUrl);
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

  await preflight(options, admin, scenario);
  // Start from a known state: whatever was left on by hand or by an earlier run is switched off.
  await admin.clearAll();

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
  const wholeRun = (route: string, ratePerSecond: number, timeoutMs: number, extra: Partial<OpenLoopOptions> & Pick<OpenLoopOptions, 'onRecords'>) =>
    new OpenLoopStream({
      url: new URL(route, options.apiUrl).toString(),
      method: 'GET',
      timeoutMs,
      durationMs: totalSeconds * 1000,
      segments: constantRate(ratePerSecond),
      ...extra,
    });
  const probe = wholeRun(probeSpec.route, probeSpec.ratePerSecond, probeSpec.timeoutMs, {
    warmup: { path: WARMUP_PATH, sockets: warmSocketsFor(probeSpec.ratePerSecond) },
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
  const progress = options.progress ? new Progress(options.progress) : undefined;
  let lastSnapshot: Snapshot | undefined;
  const sampler = new Sampler({
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

  const pending: Promise<unknown>[] = [];
  let running: (() => Promise<unknown>)[] = [];
  let restored = false;
  let failure: unknown;
  try {
    await Promise.all([probe.ready(), coldProbe.ready(), liveness.ready()]);
    const startMs = Date.now() + 100;
    timeline = new Timeline(startMs, totalSeconds);
    probe.start(startMs);
    coldProbe.start(startMs);
    liveness.start(startMs);
    sampler.start(startMs);

    for (const planned of phases) {
      const { phase } = planned;
      const phaseStartMs = startMs + planned.startSeconds * 1000;
      const phaseEndMs = phaseStartMs + phase.durationSeconds * 1000;
      await sleepUntil(phaseStartMs, signal);
      currentPhase = phase.name;
      metrics.enterPhase(phase.name);
      log(`phase ${phase.name} (${phase.durationSeconds} s)`);
      await applyToggles(admin, activeToggles, phase);
      running = await startStreams(phase, phaseEndMs, options, timeline, metrics, signal, guard);
      await sleepUntil(phaseEndMs, signal);
      pending.push(...running.map((stop) => stop()));
      running = [];
    }
    await Promise.race([Promise.all([probe.done(), coldProbe.done(), liveness.done()]), aborted(signal)]);
    await Promise.race([Promise.all(pending), aborted(signal)]);
  } catch (error) {
    failure = error;
    pending.push(...running.map((stop) => stop()));
    await Promise.all([probe, coldProbe, liveness].map((stream) => stream.kill().catch(() => {})));
  } finally {
    await sampler.stop().catch(() => {});
    progress?.end();
    metrics.finish();
    try {
      await admin.clearAll();
      restored = true;
      activeToggles.clear();
    } catch (error) {
      failure ??= error;
    }
    await Promise.allSettled(pending);
    await metrics.close();
  }
  const faultsState = restored ? 'faults switched off' : 'faults NOT restored';
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
  tl.setSnapshots(sampler.snapshots);
  const cpu = process.cpuUsage(cpuBefore);
  const report = assembleReport({
    scenario,
    source: options.source,
    quick: options.quick ?? false,
    target: { apiUrl: options.apiUrl, metricsUrl: options.metricsUrl },
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
  });
  if (options.rules && options.rules.length > 0) {
    // The labels a Prometheus scrape of the watchdog port adds (prometheus/prometheus.yml: job "api").
    const instance = new URL(options.metricsUrl).host;
    report.alerts = await evaluateRunAlerts(sampler.scrapes, tl.startMs, options.rules, { job: 'api', instance }, report.leadTimeReference);
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
  timeline: Timeline,
  metrics: RunnerMetrics,
  signal: AbortSignal | undefined,
  guard: Guard,
): Promise<(() => Promise<unknown>)[]> {
  const stoppers: (() => Promise<unknown>)[] = [];
  const streams = phase.streams ?? [];
  for (const [index, stream] of streams.entries()) {
    const name = streamName(stream, index);
    const url = new URL(stream.route, options.apiUrl).toString();
    const method = stream.method ?? 'GET';
    const body = stream.body === undefined ? undefined : JSON.stringify(stream.body);
    const timeoutMs = stream.timeoutMs ?? 5000;
    const remainingMs = Math.max(1000, phaseEndMs - Date.now());
    if (stream.kind === 'pressure') {
      const pressure = new PressureStream({
        url,
        method,
        ...(body === undefined ? {} : { body }),
        connections: stream.connections,
        durationSeconds: Math.ceil(remainingMs / 1000) + 5,
        timeoutMs,
        onRecord: guard(`recording ${name} results`, (r: PressureRecord) => {
          timeline.addClient('pressure', r.atMs - (r.latencyMs ?? 0), r.latencyMs, r.outcome);
          metrics.observe(phase.name, name, 'pressure', r.latencyMs, r.outcome);
        }),
      });
      stoppers.push(() => pressure.stop());
      continue;
    }
    const segments = steppedRate(stream.startRate, stream.stepRate, stream.stepSeconds, remainingMs, stream.maxRate);
    const ramp = new OpenLoopStream({
      url,
      method,
      ...(body === undefined ? {} : { body }),
      timeoutMs,
      durationMs: remainingMs,
      segments,
      // For its starting rate only: a pool for the peak opened at once, mid-run, disturbs the
      // service and the probe (seen once: 256 connects put 80 ms on the probe's send lateness,
      // 80 connects 14 ms); faster steps open their extra connections as they come.
      warmup: { path: WARMUP_PATH, sockets: warmSocketsFor(stream.startRate) },
      onRecords: guard(`recording ${name} results`, (records: OpenLoopRecord[]) => {
        for (const r of records) {
          timeline.addClient('ramp', r.intendedMs, r.latencyMs, r.outcome, r.sendErrorMs);
          metrics.observe(phase.name, name, 'ramp', r.latencyMs, r.outcome);
        }
      }),
    });
    await ramp.ready();
    if (signal?.aborted) {
      await ramp.kill();
      break;
    }
    ramp.start(Date.now());
    stoppers.push(() => ramp.stop());
  }
  return stoppers;
}
