// From what a run recorded (timeline, runner figures) to report.json: phase summaries, lead
// times, expectations, the verdict and the notes that qualify them.
import { evaluate } from '../analysis/expectations.js';
import { SUSTAIN_SECONDS, leadTimes } from '../analysis/lead-times.js';
import { toReportValue } from '../analysis/range.js';
import { buildReadings, toReportSeries } from '../analysis/series.js';
import { clientCounts, summariseAll } from '../analysis/summary.js';
import type { Timeline } from '../analysis/timeline.js';
import type { LoadStream, Scenario } from '../define.js';
import { type PlannedPhase, onsetOf, phaseAt } from '../plan.js';
import { SIGNALS, SIGNAL_IDS, type SignalId, formatSignal } from '../signals.js';
import { streamName } from '../validate.js';
import type { CollectedStalls } from '../sample/stalls.js';
import { summariseHeldTheLoop } from './held-the-loop.js';
import { type ExpectationResult, type PhaseReport, REPORT_SCHEMA_VERSION, type Report } from './schema.js';

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
  probe: Report['probe'];
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

/** What the expectations and lead times say about one view of the run. */
function judge(scenario: Scenario, timeline: Timeline, phases: PhaseReport[], thresholds: Record<SignalId, number>, onset: { from: number; to: number }) {
  const readings = buildReadings(timeline);
  const lead = leadTimes({ readings, onsetSeconds: onset.from, onsetEndSeconds: onset.to, thresholds });
  const expectations = evaluate(scenario.expectations, { timeline, readings, phases, leadTimes: lead.rows });
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
      faults: phase.faults ?? {},
      mitigations: phase.mitigations ?? {},
      streams: (phase.streams ?? []).map((s, i) => describeStream(s, i)),
      summary,
      ...(Object.keys(summaryLower).length > 0 ? { summaryLower } : {}),
      clients: clientCounts(timeline, window),
    };
  });
  const onset = onsetOf(phases);
  const thresholds = thresholdsFor(scenario, probe, timeline);
  const onsetSeconds = onset?.startSeconds ?? 0;
  const onsetWindow = { from: onsetSeconds, to: onsetSeconds + (onset?.phase.durationSeconds ?? timeline.seconds) };
  const { lead, expectations } = judge(scenario, timeline, phaseReports, thresholds, onsetWindow);
  const passed = expectations.every((e) => e.passed);
  // The sender's lateness is charged to the service (latency from the intended time): fair for
  // a stall that delays sends, not for a runner starved of CPU. Judged again with latencies from
  // the actual send times: an expectation whose outcome changes rests on the runner's delay.
  const lenient = judge(scenario, timeline.fromSendTimes(), phaseReports, thresholds, onsetWindow).expectations;
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
    target: input.target,
    probe,
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
    leadTimeReference: { onsetSeconds, onsetPhase: onset?.phase.name ?? '', sloSeconds: thresholds.probeP99, sloBreachSeconds: lead.sloBreachSeconds },
    leadTimes: lead.rows,
    series: toReportSeries(timeline, readings, (bin) => phaseAt(phases, bin)),
    ...(input.stalls ? { heldTheLoop: summariseHeldTheLoop(input.stalls, phases, timeline.startMs) } : {}),
    notes: notesFor(input, phaseReports, thresholds, inconclusive !== undefined),
  };
}

function scheduleVerdict(input: AssembleInput, dependent: ExpectationResult[]): string {
  const late = input.scheduleError ? `probe send lateness p99 ${input.scheduleError.p99Ms.toFixed(1)} ms, max ${input.scheduleError.maxMs.toFixed(0)} ms` : 'its open-loop streams sent late';
  const which = dependent.map((e) => `"${e.description}" ${e.passed ? 'passes' : 'fails'} only when that lateness is charged to the service`);
  return `the runner could not keep its schedule (${late}): ${which.join('; ')}; rerun on a quieter machine`;
}

/**
 * Lead-time thresholds: the scenario's, else the defaults, where a default for a bucketed signal
 * moves up to the first bucket edge at or above it (inside a bucket it could not be decided).
 * Loop delay max, an exact gauge, follows loop delay p99 so the two rows compare.
 */
export function thresholdsFor(scenario: Scenario, probe: Report['probe'], timeline: Timeline): Record<SignalId, number> {
  const edgeAtOrAbove = (value: number, edges: number[]): number => edges.find((le) => le >= value - 1e-12) ?? value;
  const defaults = Object.fromEntries(SIGNAL_IDS.map((id) => [id, SIGNALS[id].defaultThreshold])) as Record<SignalId, number>;
  defaults.probeP99 = probe.sloMs / 1000;
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
    'Probe and ramp latencies are open loop, measured from each request’s intended send time; pressure latencies come from autocannon (closed loop) and hide the time a stalled service kept it from sending.',
    `Lead times have the sampling interval's resolution (1 s) and count a crossing only when the signal rises from below its threshold during the onset phase and stays above it ${SUSTAIN_SECONDS} readings in a row; a negative "vs SLO breach" means the signal crossed before the probe P99 crossed ${probe.sloMs} ms.`,
    'Figures read from histogram buckets (server-side P99, loop delay p99, the phase loop-delay max, the threadpool canary) are given as the bucket that holds them, e.g. "512–1024 ms"; "above" checks use the lower bound, "below" checks the upper one.',
    'The threadpool canary’s callback runs on the main loop, so a busy loop delays it too: its lower bound keeps only the (1 − ELU) share that is certainly the threadpool’s (a blocked loop, ELU 1, claims nothing); its upper bound is as measured.',
  ];
  const failed = timeline.failedScrapes();
  if (failed.length > 0) notes.push(`${failed.length} of ${timeline.scrapeCount()} watchdog scrapes failed or were skipped; their seconds show no server data.`);
  const stale = timeline.staleSeconds();
  if (stale.length > 0) {
    notes.push(
      `${stale.length} second(s) (${compactSeconds(stale)}) have no fresh registry snapshot from the watchdog (the service's loop could not take one, e.g. during a stall): registry signals are blank there rather than repeating older values; each snapshot is placed at the time it was taken (scrape time − snapshot age), the live stall at the scrape.`,
    );
  }
  for (const phase of phases) {
    const c = phase.clients.probe;
    if (c.requests > 0 && c.timeouts / c.requests > TIMEOUT_NOTE_SHARE) {
      notes.push(
        `Phase ${phase.name}: ${Math.round((c.timeouts / c.requests) * 100)} % of probe requests timed out (${probe.timeoutMs} ms), so its P99 is only known to be at least the timeout.`,
      );
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

function describeStream(stream: LoadStream, index: number): PhaseReport['streams'][number] {
  const base = { kind: stream.kind, name: streamName(stream, index), route: stream.route, method: stream.method ?? 'GET' };
  if (stream.kind === 'pressure') return { ...base, connections: stream.connections };
  return {
    ...base,
    startRate: stream.startRate,
    stepRate: stream.stepRate,
    stepSeconds: stream.stepSeconds,
    ...(stream.maxRate === undefined ? {} : { maxRate: stream.maxRate }),
  };
}
