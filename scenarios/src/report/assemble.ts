// From what a run recorded (timeline, runner figures) to report.json: phase summaries, lead
// times, expectations, the verdict and the notes that qualify them.
import { evaluate } from '../analysis/expectations.js';
import { certainlyAbove, fromReportValue } from '../analysis/range.js';
import type { ReadingSeries } from '../analysis/series.js';
import { type Window, summarise } from '../analysis/summary.js';
import { isLeadExpectation } from '../define.js';
import { SUSTAIN_SECONDS, type StreamSeries, leadTimes } from '../analysis/lead-times.js';
import { toReportValue } from '../analysis/range.js';
import { buildReadings, clientQuantile, toReportSeries } from '../analysis/series.js';
import { clientCounts, summariseAll } from '../analysis/summary.js';
import type { Timeline } from '../analysis/timeline.js';
import type { LoadStream, Scenario, ScenarioStream, ToggleParams } from '../define.js';
import { type PlannedPhase, onsetOf, phaseAt } from '../plan.js';
import { SIGNALS, SIGNAL_IDS, type SignalId, formatFigure, formatSignal } from '../signals.js';
import { type MetricsSource, metricsSourceText } from '../sample/source.js';
import { openLoopStreamNamesOf, streamName, streamSlosOf } from '../validate.js';
import type { CollectedStalls } from '../sample/stalls.js';
import { summariseHeldTheLoop } from './held-the-loop.js';
import { type ExpectationResult, type PhaseReport, REPORT_SCHEMA_VERSION, type Report } from './schema.js';
import { REDACTED, redactText } from '@runtime-lab/values';

/**
 * Probe send lateness p99 beyond this share of its SLO is flagged in the report: latencies
 * measured from the intended time then carry a noticeable part of the runner's own delay. The
 * verdict itself turns "inconclusive" (exit 2) only when an expectation's outcome depends on
 * that delay (see assembleReport).
 */
export const MAX_SCHEDULE_ERROR_SHARE_OF_SLO = 0.1;

/** A phase's probe P99 is reported as "at least the timeout" beyond this share of timeouts. */
const TIMEOUT_NOTE_SHARE = 0.01;

export interface AssembleInput {
  /** The scenario as run (quick profile applied). */
  scenario: Scenario;
  source: string;
  quick: boolean;
  target: { apiUrl: string; metricsUrl: string };
  /** What the target's metrics endpoint offered (sample/source.ts). */
  metricsSource: MetricsSource;
  /** The scenario switched faults or mitigations on (through the admin API). */
  usesAdmin: boolean;
  probe: Report['probe'];
  coldProbe: Report['coldProbe'];
  liveness: Report['liveness'];
  phases: PlannedPhase[];
  /** With the sampler's snapshots set. */
  timeline: Timeline;
  startedAt: Date;
  wallSeconds: number;
  cpuSeconds: number;
  /** Probe send lateness percentiles (ms), null when no request was sent. */
  scheduleError: { p99Ms: number; maxMs: number } | null;
  probeSockets: number;
  restored: boolean;
  /** The service's attributed stalls (GET /stalls), when collected. */
  stalls?: CollectedStalls;
}

/** Where crossings are searched: the onset phase, or the whole run when there is no onset (from null). */
interface SearchWindow {
  from: number | null;
  to: number;
}

const windowOfPhase = (p: PhaseReport): Window => ({ from: p.startSeconds + p.settleSeconds, to: p.startSeconds + p.durationSeconds });

/**
 * Phases whose figure for `signal` is certainly above `threshold`: the phase summary, or the
 * figure a threshold expectation on the signal reads (its own stat). A lead-time row never says
 * "never" while one of these says otherwise.
 */
function abovePhasesOf(scenario: Scenario, timeline: Timeline, readings: ReadingSeries, phases: PhaseReport[]) {
  return (signal: SignalId, threshold: number): string[] => {
    const names = new Set<string>();
    for (const p of phases) {
      const r = fromReportValue(p.summary[signal], p.summaryLower?.[signal]);
      if (r && certainlyAbove(r, threshold)) names.add(p.name);
    }
    for (const e of scenario.expectations) {
      // Only an expectation with its own stat reads a figure the phase summary does not show.
      if (
        isLeadExpectation(e) ||
        e.stream !== undefined ||
        e.signal !== signal ||
        e.stat === undefined ||
        e.stat === SIGNALS[signal].phaseStat
      )
        continue;
      const phase = phases.find((p) => p.name === e.phase);
      const r = phase ? summarise(timeline, readings, signal, windowOfPhase(phase), e.stat) : null;
      if (r && certainlyAbove(r, threshold)) names.add(e.phase);
    }
    return phases.map((p) => p.name).filter((name) => names.has(name));
  };
}

/** What the expectations and lead times say about one view of the run. */
function judge(
  scenario: Scenario,
  timeline: Timeline,
  phases: PhaseReport[],
  planned: PlannedPhase[],
  thresholds: Record<SignalId, number>,
  search: SearchWindow,
) {
  const readings = buildReadings(timeline);
  const lead = leadTimes({
    readings,
    onsetSeconds: search.from,
    onsetEndSeconds: search.to,
    thresholds,
    phaseAt: (bin) => phaseAt(planned, bin),
    abovePhases: abovePhasesOf(scenario, timeline, readings, phases),
    streams: streamSeriesOf(scenario, timeline, phases, thresholds.rampP99),
  });
  const expectations = evaluate(scenario.expectations, { timeline, readings, phases, leadTimes: [...lead.rows, ...lead.streamRows] });
  return { readings, lead, expectations };
}

export function assembleReport(input: AssembleInput): Report {
  const { scenario, timeline, phases, probe } = input;
  const readings = buildReadings(timeline);
  const phaseReports: PhaseReport[] = phases.map(({ phase, startSeconds, settleSeconds }) => {
    const window = { from: startSeconds + settleSeconds, to: startSeconds + phase.durationSeconds };
    const values = summariseAll(timeline, readings, window);
    const summary = {} as PhaseReport['summary'];
    const summaryLower: NonNullable<PhaseReport['summaryLower']> = {};
    for (const id of SIGNAL_IDS) {
      const value = toReportValue(values[id]);
      summary[id] = value.value;
      if (value.lower !== undefined) summaryLower[id] = value.lower;
    }
    return {
      name: phase.name,
      startSeconds,
      durationSeconds: phase.durationSeconds,
      settleSeconds,
      faults: withoutHeaderValues(phase.faults ?? {}),
      mitigations: withoutHeaderValues(phase.mitigations ?? {}),
      streams: [
        ...(phase.streams ?? []).map((s, i) => describeStream(s, i)),
        ...scenarioStreamsIn(
          scenario,
          phases.findIndex((p) => p.phase === phase),
        ).map((s, i) => describeStream(s, i)),
      ],
      summary,
      ...(Object.keys(summaryLower).length > 0 ? { summaryLower } : {}),
      clients: clientCounts(timeline, window),
      ...(timeline.streamNames().length > 0 ? { streamResults: streamResultsOf(timeline, window) } : {}),
    };
  });
  const onset = onsetOf(phases);
  const thresholds = thresholdsFor(scenario, probe, timeline, input.coldProbe.sloMs);
  const onsetSeconds = onset?.startSeconds ?? 0;
  const search: SearchWindow = onset
    ? { from: onset.startSeconds, to: onset.startSeconds + onset.phase.durationSeconds }
    : { from: null, to: timeline.seconds };
  const { lead, expectations } = judge(scenario, timeline, phaseReports, phases, thresholds, search);
  const passed = expectations.every((e) => e.passed);
  // The sender's lateness is charged to the service (latency from the intended time): fair for
  // a stall that delays sends, not for a runner starved of CPU. Judged again with latencies from
  // the actual send times: an expectation whose outcome changes rests on the runner's delay.
  const lenient = judge(scenario, timeline.fromSendTimes(), phaseReports, phases, thresholds, search).expectations;
  const dependent = expectations.filter((e, i) => e.passed !== lenient[i]?.passed);
  const inconclusive = dependent.length > 0 ? scheduleVerdict(input, dependent) : undefined;
  const limitMs = MAX_SCHEDULE_ERROR_SHARE_OF_SLO * probe.sloMs;

  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    scenario: {
      name: scenario.name,
      title: scenario.title,
      description: scenario.description,
      ...(scenario.guide ? { guide: scenario.guide } : {}),
      source: input.source,
      quick: input.quick,
    },
    verdict: inconclusive ? 'inconclusive' : passed ? 'passed' : 'failed',
    exitCode: inconclusive ? 2 : passed ? 0 : 1,
    ...(inconclusive ? { inconclusive } : {}),
    startedAt: input.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    wallSeconds: input.wallSeconds,
    // Reports are shared: a credential in a URL the user typed stays out of them.
    target: {
      apiUrl: redactText(input.target.apiUrl),
      metricsUrl: redactText(input.target.metricsUrl),
      metricsSource: input.metricsSource.kind,
      unavailableSignals: input.metricsSource.unavailable,
      faultsSet: input.usesAdmin,
    },
    probe,
    coldProbe: input.coldProbe,
    liveness: input.liveness,
    runner: {
      cpuSeconds: input.cpuSeconds,
      cpuPercentOfOneCore: input.wallSeconds > 0 ? (input.cpuSeconds / input.wallSeconds) * 100 : 0,
      probeScheduleErrorP99Ms: input.scheduleError?.p99Ms ?? null,
      probeScheduleErrorMaxMs: input.scheduleError?.maxMs ?? null,
      probeScheduleErrorLimitMs: limitMs,
      probeSockets: input.probeSockets,
      staleSeconds: timeline.staleSeconds(),
      scrapes: timeline.scrapeCount(),
      failedScrapes: timeline.failedScrapes(),
      restored: input.restored,
    },
    phases: phaseReports,
    expectations,
    leadTimeReference: {
      onsetSeconds,
      onsetPhase: onset?.phase.name ?? null,
      searchEndSeconds: search.to,
      sloSeconds: thresholds.probeP99,
      sloBreachSeconds: lead.sloBreachSeconds,
      coldSloSeconds: thresholds.coldProbeP99,
      coldSloBreachSeconds: lead.coldSloBreachSeconds,
    },
    leadTimes: lead.rows,
    ...(lead.streamRows.length > 0 ? { streamLeadTimes: lead.streamRows } : {}),
    series: toReportSeries(timeline, readings, (bin) => phaseAt(phases, bin)),
    ...(input.stalls ? { heldTheLoop: summariseHeldTheLoop(input.stalls, phases, timeline.startMs) } : {}),
    notes: notesFor(input, phaseReports, thresholds, inconclusive !== undefined),
  };
}

function scheduleVerdict(input: AssembleInput, dependent: ExpectationResult[]): string {
  const late = input.scheduleError
    ? `probe send lateness p99 ${input.scheduleError.p99Ms.toFixed(1)} ms, max ${input.scheduleError.maxMs.toFixed(0)} ms`
    : 'its open-loop streams sent late';
  const which = dependent.map(
    (e) => `"${e.description}" ${e.passed ? 'passes' : 'fails'} only when that lateness is charged to the service`,
  );
  return `the runner could not keep its schedule (${late}): ${which.join('; ')}; rerun on a quieter machine`;
}

/**
 * Lead-time thresholds: the scenario's, else the defaults, where a default for a bucketed signal
 * moves up to the first bucket edge at or above it (inside a bucket it could not be decided).
 * Loop delay max, an exact gauge, follows loop delay p99 so the two rows compare.
 */
export function thresholdsFor(scenario: Scenario, probe: Report['probe'], timeline: Timeline, coldSloMs: number): Record<SignalId, number> {
  const edgeAtOrAbove = (value: number, edges: number[]): number => edges.find((le) => le >= value - 1e-12) ?? value;
  const defaults = Object.fromEntries(SIGNAL_IDS.map((id) => [id, SIGNALS[id].defaultThreshold])) as Record<SignalId, number>;
  defaults.probeP99 = probe.sloMs / 1000;
  defaults.coldProbeP99 = coldSloMs / 1000;
  defaults.serverP99 = edgeAtOrAbove(defaults.serverP99, timeline.bucketEdges('serverBuckets'));
  defaults.loopDelayP99 = edgeAtOrAbove(defaults.loopDelayP99, timeline.bucketEdges('loopDelayBuckets'));
  defaults.loopDelayMax = scenario.thresholds?.loopDelayP99 ?? defaults.loopDelayP99;
  return Object.fromEntries(SIGNAL_IDS.map((id) => [id, scenario.thresholds?.[id] ?? defaults[id]])) as Record<SignalId, number>;
}

function notesFor(input: AssembleInput, phases: PhaseReport[], thresholds: Record<SignalId, number>, inconclusive: boolean): string[] {
  const { timeline, probe } = input;
  const limitMs = MAX_SCHEDULE_ERROR_SHARE_OF_SLO * probe.sloMs;
  const late = input.scheduleError && input.scheduleError.p99Ms > limitMs && !inconclusive;
  const notes = [
    ...(late
      ? [
          `The runner fell behind its schedule: probe send lateness p99 ${input.scheduleError?.p99Ms.toFixed(1)} ms, over ${MAX_SCHEDULE_ERROR_SHARE_OF_SLO * 100} % of the SLO (${limitMs} ms). Latencies include it (they are measured from the intended send time); no expectation's outcome depends on it (judged again from the actual send times).`,
        ]
      : []),
    'Probe (warm and cold) and ramp latencies are open loop, measured from each request’s intended send time; pressure latencies are closed loop, measured from the actual send, and hide the time a stalled service kept the next request from being sent.',
    `Two client populations: the warm probe reuses keep-alive sockets opened before the run (the best-placed client); the cold probe opens a new connection for every request (load balancers without keep-alive, health checkers, kubelet probes), so each of its requests also waits for the service to accept the connection.`,
    `Lead times have the sampling interval's resolution (1 s). "First crossing": the first second the signal rose above its threshold from a reading below it, ${onsetWords(input)}, whether or not it held. "First sustained crossing": the first such rise that stayed above for ${SUSTAIN_SECONDS} readings in a row; an SLO breach is the probe P99's first sustained crossing, and "vs … SLO breach" compares sustained crossings (negative: the signal crossed before the probe breached). "Intermittent": it rose above but never held. A signal with no crossing in that window says where it was above instead (before onset, later, or only in a phase summary); "never" means no second of the run and no phase summary was above the threshold.`,
    `Figures read from histogram buckets (server-side P99, loop delay p99, the phase loop-delay max, the threadpool canary) are given as the bucket that holds them${bucketExample(timeline)}; "above" checks use the lower bound, "below" checks the upper one.`,
    'The threadpool canary’s callback runs on the main loop, so a busy loop delays it too: its lower bound keeps only the (1 − ELU) share that is certainly the threadpool’s (a blocked loop, ELU 1, claims nothing); its upper bound is as measured. The lead-time table and the chart’s line use that lower bound.',
  ];
  const source = input.metricsSource;
  if (source.kind !== 'telemetry' || source.unavailable.length > 0) {
    notes.unshift(
      `${metricsSourceText(source)} ${source.unavailable.map((u) => `${SIGNALS[u.signal].label}: ${u.reason}.`).join(' ')} Their rows read "–".`,
    );
  }
  const failed = timeline.failedScrapes();
  if (failed.length > 0)
    notes.push(`${failed.length} of ${timeline.scrapeCount()} watchdog scrapes failed or were skipped; their seconds show no server data.`);
  const stale = timeline.staleSeconds();
  if (stale.length > 0) {
    notes.push(
      `${stale.length} second(s) (${compactSeconds(stale)}) have no fresh registry snapshot from the watchdog (the service's loop could not take one, e.g. during a stall): registry signals are blank there rather than repeating older values; each snapshot is placed at the time it was taken (scrape time − snapshot age), the live stall at the scrape.`,
    );
  }
  for (const phase of phases) {
    for (const [population, c, timeoutMs] of [
      ['warm', phase.clients.probe, probe.timeoutMs],
      ['cold', phase.clients.cold, input.coldProbe.timeoutMs],
    ] as const) {
      if (c.requests > 0 && c.timeouts / c.requests > TIMEOUT_NOTE_SHARE) {
        notes.push(
          `Phase ${phase.name}: ${Math.round((c.timeouts / c.requests) * 100)} % of ${population} probe requests timed out (${timeoutMs} ms), so its P99 is only known to be at least the timeout.`,
        );
      }
    }
  }
  notes.push(...thresholdsOffEdges(input, thresholds));
  return notes;
}

/** Thresholds and expectation bounds on a bucketed signal that fall inside a bucket, where it cannot say which side a value is on. */
function thresholdsOffEdges(input: AssembleInput, thresholds: Record<SignalId, number>): string[] {
  const histograms = { serverP99: 'serverBuckets', loopDelayP99: 'loopDelayBuckets' } as const;
  const out: string[] = [];
  for (const [id, key] of Object.entries(histograms) as [keyof typeof histograms, (typeof histograms)[keyof typeof histograms]][]) {
    const edges = input.timeline.bucketEdges(key);
    if (edges.length === 0) continue;
    const values = new Set<number>([thresholds[id]]);
    for (const e of input.scenario.expectations) {
      if ('signal' in e && e.signal === id) for (const b of [e.above, e.below]) if (typeof b === 'number') values.add(b);
    }
    for (const value of values) {
      if (edges.some((le) => Math.abs(le - value) <= 1e-9 * Math.max(1, le))) continue;
      const upper = edges.find((le) => le > value);
      const lower = [...edges].reverse().find((le) => le < value) ?? 0;
      out.push(
        `${SIGNALS[id].label}: ${formatSignal(id, value)} lies inside the bucket ${formatSignal(id, lower)}–${upper === undefined ? '+Inf' : formatSignal(id, upper)}; a figure in that bucket counts as neither above nor below it. Bucket edges: ${edges.map((e) => formatSignal(id, e)).join(', ')}.`,
      );
    }
  }
  return out;
}

function onsetWords(input: AssembleInput): string {
  const onset = onsetOf(input.phases);
  return onset
    ? `within the onset phase ("${onset.phase.name}": the phase that first switches a fault on, or is marked onset)`
    : 'from the start of the run (this scenario switches no fault on, so it has no onset; a signal above from its first reading crosses there)';
}

/** `, e.g. "320–640 ms"` with two of the service's own loop-delay bucket edges around half a second; empty when it has none. */
function bucketExample(timeline: Timeline): string {
  const edges = timeline.bucketEdges('loopDelayBuckets').filter((e) => Number.isFinite(e));
  const upper = edges.findIndex((e) => e >= 0.5);
  if (upper <= 0) return '';
  const lower = edges[upper - 1] as number;
  return `, e.g. "${formatFigure('loopDelayP99', edges[upper], lower)}" (a bucket of this service's loop-delay histogram)`;
}

function compactSeconds(seconds: number[]): string {
  const parts: string[] = [];
  let start = seconds[0] as number;
  let previous = start;
  for (const s of [...seconds.slice(1), Number.NaN]) {
    if (s === previous + 1) {
      previous = s;
      continue;
    }
    parts.push(start === previous ? `${start}` : `${start}–${previous}`);
    start = s;
    previous = s;
  }
  return parts.slice(0, 8).join(', ') + (parts.length > 8 ? ', …' : '');
}

function pickText(list: { pick: 'rotate' | 'sample'; seed?: number }): string {
  return list.pick === 'rotate' ? 'rotated' : `sampled, seed ${list.seed ?? 1}`;
}

function describeStream(stream: LoadStream | ScenarioStream, index: number): PhaseReport['streams'][number] {
  const base = { kind: stream.kind, name: streamName(stream, index), route: stream.route, method: stream.method ?? 'GET' };
  if (stream.kind === 'pressure') return { ...base, connections: stream.connections };
  if (stream.kind === 'ramp') {
    return {
      ...base,
      startRate: stream.startRate,
      stepRate: stream.stepRate,
      stepSeconds: stream.stepSeconds,
      ...(stream.maxRate === undefined ? {} : { maxRate: stream.maxRate }),
    };
  }
  const query = stream.query ? `?${new URLSearchParams(stream.query).toString()}` : undefined;
  // The stream's header names and its variants' (values left out), each once, in order of appearance.
  const headerNames = [
    ...new Set([...Object.keys(stream.headers ?? {}), ...(stream.variants?.values.flatMap((v) => Object.keys(v.headers ?? {})) ?? [])]),
  ];
  return {
    ...base,
    ...(query ? { query } : {}),
    ...(headerNames.length > 0 ? { headerNames } : {}),
    ...(stream.variants ? { variants: `${stream.variants.values.length} ${pickText(stream.variants)}` } : {}),
    ...(stream.bodies
      ? {
          bodies: `${stream.bodies.values.length} ${pickText(stream.bodies)}`,
        }
      : stream.body !== undefined
        ? { bodies: 'one fixed body' }
        : {}),
    ...('phases' in stream && stream.phases ? { acrossPhases: stream.phases } : {}),
    ...(stream.kind === 'rate' ? { ratePerSecond: stream.ratePerSecond } : { atSecond: stream.atSecond, count: stream.count }),
  };
}

/** Each named stream over a phase window: counts and P50/P99 (open loop: from the intended send time). */
function streamResultsOf(timeline: Timeline, window: Window): NonNullable<PhaseReport['streamResults']> {
  return timeline.streamNames().flatMap((stream) => {
    const merged = timeline.streamWindow(stream, window.from, window.to);
    if (!merged) return [];
    const p99 = toReportValue(clientQuantile(merged, 0.99));
    return [
      {
        stream,
        requests: merged.ok + merged.errors + merged.timeouts,
        errors: merged.errors,
        timeouts: merged.timeouts,
        p50: toReportValue(clientQuantile(merged, 0.5)).value,
        p99: p99.value,
        ...(p99.lower === undefined ? {} : { p99Lower: p99.lower }),
      },
    ];
  });
}

/**
 * Every named open-loop stream the scenario declares or the run recorded: its per-second P99 (from
 * the intended send times) and its own threshold, its `sloMs` or else the rampP99 threshold, so
 * "which route's users noticed first" reads on the same clock as the signals. A declared stream
 * that sent nothing gets a row with no data (an expectation naming it then says so).
 */
function streamSeriesOf(scenario: Scenario, timeline: Timeline, phases: PhaseReport[], rampThreshold: number): StreamSeries[] {
  const slos = streamSlosOf(scenario);
  const names = [...new Set([...openLoopStreamNamesOf(scenario), ...timeline.streamNames()])];
  return names.map((stream) => {
    const sloMs = slos.get(stream);
    const threshold = sloMs === undefined ? rampThreshold : sloMs / 1000;
    const values = Array.from({ length: timeline.seconds }, (_, bin) => clientQuantile(timeline.streamWindow(stream, bin, bin + 1), 0.99));
    const abovePhases = phases
      .filter((p) => {
        const r = p.streamResults?.find((x) => x.stream === stream);
        const p99 = r ? fromReportValue(r.p99, r.p99Lower) : null;
        return p99 !== null && certainlyAbove(p99, threshold);
      })
      .map((p) => p.name);
    return { stream, values, threshold, abovePhases };
  });
}

/**
 * Toggles as the report shows them: an input trigger on a header keeps its name and loses its
 * value (`header:x-api-key=[redacted]`), as stream headers do: a header value may be a credential.
 */
function withoutHeaderValues(toggles: Record<string, ToggleParams>): Record<string, ToggleParams> {
  const hide = (value: ToggleParams[string]) =>
    typeof value === 'string' && /^header:[^=]+=./.test(value) ? `${value.slice(0, value.indexOf('=') + 1)}${REDACTED}` : value;
  return Object.fromEntries(
    Object.entries(toggles).map(([name, params]) => [name, Object.fromEntries(Object.entries(params).map(([k, v]) => [k, hide(v)]))]),
  );
}

/** Scenario-level streams running during phase `index`. */
function scenarioStreamsIn(scenario: Scenario, index: number): ScenarioStream[] {
  const names = scenario.phases.map((p) => p.name);
  return (scenario.streams ?? []).filter((s) => {
    const from = s.phases ? names.indexOf(s.phases.from) : 0;
    const to = s.phases ? names.indexOf(s.phases.to) : names.length - 1;
    return index >= from && index <= to;
  });
}
