// report.json's shape, as a TypeBox schema: one definition gives the TypeScript type, the
// JSON Schema file shipped next to the reports (report.schema.json) and the validator
// `lab report` uses before re-rendering a file someone may have edited.
import { type Static, type TNumber, Type } from '@sinclair/typebox';
import { SIGNAL_IDS } from '../signals.js';
import { HeldTheLoopSchema } from './held-the-loop.js';

type Id = (typeof SIGNAL_IDS)[number];

/**
 * 2: histogram figures as bucket bounds, lead-time status, verdict "inconclusive".
 * 3: the cold probe (a new connection per request) beside the warm one, the liveness verdict,
 * onset null for a run without a fault, first and first sustained crossings, where a signal was
 * above when it did not cross in the onset phase.
 * 4: one full lead-time row per named load stream (streamLeadTimes), against the stream's own
 * threshold (its sloMs), with first and sustained crossings relative to onset and both SLO breaches.
 */
export const REPORT_SCHEMA_VERSION = 4;
const Nullable = <T extends TNumber>(t: T) => Type.Union([t, Type.Null()]);
const NullableNumber = Nullable(Type.Number());
const NullableSeries = Type.Array(NullableNumber);
const SignalId = Type.Union(SIGNAL_IDS.map((id) => Type.Literal(id)));
const VALUE_NOTE =
  'Each value is exact, or, when read from histogram buckets or when it is a latency quantile that timed out, the upper bound, with the lower bound beside it (summaryLower, series.lowerBounds, *Lower). An upper bound of null beside a lower bound: unbounded above.';
// Object.fromEntries loses the key set; the casts restore it (every id is mapped).
const perSignal = <T extends TNumber | typeof NullableNumber | typeof NullableSeries>(schema: T) =>
  Object.fromEntries(SIGNAL_IDS.map((id) => [id, schema])) as Record<Id, T>;
const SignalValues = Type.Object(perSignal(NullableNumber), { additionalProperties: false, description: VALUE_NOTE });
const SignalSeries = perSignal(NullableSeries);
const LowerBounds = Type.Partial(Type.Object(perSignal(NullableNumber), { additionalProperties: false }));
const LowerSeries = Type.Partial(Type.Object(perSignal(NullableSeries), { additionalProperties: false }));
const Toggles = Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()));
const ClientCounts = Type.Object({
  requests: Type.Integer({ minimum: 0 }),
  errors: Type.Integer({ minimum: 0 }),
  timeouts: Type.Integer({ minimum: 0 }),
});

/** One row of the lead-time table: a signal, or (with `stream`) one named load stream's P99. */
const LeadTimeRowSchema = Type.Object({
  signal: SignalId,
  stream: Type.Optional(
    Type.String({ description: 'a named load stream: the row is its own P99 (signal rampP99), against its own threshold' }),
  ),
  label: Type.String(),
  threshold: Type.Number({
    description: 'in the signal’s unit (seconds for latencies); for a stream, its sloMs / 1000, else the rampP99 threshold',
  }),
  status: Type.Union(
    [
      Type.Literal('crossed'),
      Type.Literal('intermittent'),
      Type.Literal('already-above'),
      Type.Literal('later'),
      Type.Literal('before-onset'),
      Type.Literal('summary-only'),
      Type.Literal('never'),
      Type.Literal('no-data'),
    ],
    {
      description:
        'crossed: rose from below in the search window and held SUSTAIN_SECONDS readings; intermittent: rose from below there but never held; already-above: above before onset and not below since; later: not above in the window, above after it; before-onset: above only before onset; summary-only: no second above, a phase summary above; never: nothing above anywhere in the run',
    },
  ),
  firstCrossingSeconds: Nullable(
    Type.Number({
      description:
        'run time of the first second above the threshold: a rise from below in the window (held or not), or for later/before-onset the first second above',
    }),
  ),
  firstCrossingPhase: Type.Union([Type.String(), Type.Null()]),
  firstSustainedCrossingSeconds: Nullable(
    Type.Number({ description: 'run time of the first rise from below that held SUSTAIN_SECONDS readings' }),
  ),
  afterOnsetSeconds: Nullable(Type.Number({ description: 'firstCrossingSeconds − onset' })),
  sustainedAfterOnsetSeconds: Nullable(Type.Number({ description: 'firstSustainedCrossingSeconds − onset' })),
  relativeToSloBreachSeconds: Nullable(Type.Number({ description: 'sustained crossing − warm SLO breach; negative: before it' })),
  relativeToColdSloBreachSeconds: Nullable(Type.Number({ description: 'sustained crossing − cold SLO breach; negative: before it' })),
  valueAtCrossing: Nullable(Type.Number({ description: 'at the sustained crossing, else at the first crossing' })),
  valueAtCrossingLower: Type.Optional(Type.Number()),
  abovePhases: Type.Array(Type.String(), { description: 'phases whose summary of the signal is certainly above the threshold' }),
  hasData: Type.Boolean(),
  dataBeforeOnset: Type.Boolean(),
});

export const ReportSchema = Type.Object(
  {
    schemaVersion: Type.Literal(REPORT_SCHEMA_VERSION),
    scenario: Type.Object({
      name: Type.String(),
      title: Type.String(),
      description: Type.String(),
      guide: Type.Optional(Type.String()),
      source: Type.String({ description: 'file the scenario was loaded from' }),
      quick: Type.Boolean(),
    }),
    verdict: Type.Union([Type.Literal('passed'), Type.Literal('failed'), Type.Literal('inconclusive'), Type.Literal('error')]),
    exitCode: Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)]),
    error: Type.Optional(Type.String()),
    inconclusive: Type.Optional(
      Type.String({ description: 'why the expectations could not be judged (exit 2), e.g. the runner could not keep its schedule' }),
    ),
    startedAt: Type.String({ description: 'ISO 8601 date-time' }),
    finishedAt: Type.String({ description: 'ISO 8601 date-time' }),
    wallSeconds: Type.Number({ minimum: 0 }),
    target: Type.Object({
      apiUrl: Type.String(),
      metricsUrl: Type.String(),
      metricsSource: Type.Optional(
        Type.Union([Type.Literal('telemetry'), Type.Literal('prom-client'), Type.Literal('none')], {
          description:
            "what the metrics endpoint served: the lab's telemetry plugin, prom-client's default metrics only, or nothing the runner reads",
        }),
      ),
      unavailableSignals: Type.Optional(
        Type.Array(Type.Object({ signal: SignalId, reason: Type.String() }), {
          description: 'server-side signals the target did not expose, and why',
        }),
      ),
      faultsSet: Type.Optional(Type.Boolean({ description: 'the scenario switched faults or mitigations on through the admin API' })),
    }),
    probe: Type.Object(
      {
        route: Type.String(),
        ratePerSecond: Type.Number(),
        timeoutMs: Type.Number(),
        sloMs: Type.Number(),
      },
      { description: 'the warm probe: keep-alive sockets opened before the run' },
    ),
    coldProbe: Type.Object(
      {
        route: Type.String(),
        ratePerSecond: Type.Number(),
        timeoutMs: Type.Number(),
        sloMs: Type.Number(),
      },
      { description: 'the cold probe: a new TCP connection per request, closed after the answer' },
    ),
    liveness: Type.Object(
      {
        route: Type.String(),
        timeoutSeconds: Type.Number(),
        periodSeconds: Type.Number(),
        failureThreshold: Type.Integer(),
        attempts: Type.Array(
          Type.Object({
            atSeconds: Type.Number({ description: 'run time the probe was sent (s)' }),
            latencyMs: Type.Number({ description: 'from the send to the answer, or to the timeout' }),
            outcome: Type.Union([Type.Literal('ok'), Type.Literal('failed'), Type.Literal('timeout')]),
          }),
        ),
        firstFailureSeconds: Nullable(Type.Number({ description: 'run time of the first failed attempt (its send)' })),
        restartSeconds: Nullable(
          Type.Number({
            description: 'run time the kubelet would have restarted the pod: the end of the failureThreshold-th failure in a row',
          }),
        ),
        maxConsecutiveFailures: Type.Integer({ minimum: 0 }),
      },
      { description: 'a kubelet-style liveness probe (new connection, success = 200–399 within timeoutSeconds) sent during the run' },
    ),
    runner: Type.Object({
      cpuSeconds: Type.Number({ minimum: 0, description: 'CPU time of the runner process (all its threads)' }),
      cpuPercentOfOneCore: Type.Number({ minimum: 0 }),
      probeScheduleErrorP99Ms: Nullable(Type.Number()),
      probeScheduleErrorMaxMs: Nullable(Type.Number()),
      probeScheduleErrorLimitMs: Type.Number({
        description: 'p99 send lateness above this makes the run inconclusive (10% of the probe SLO)',
      }),
      probeSockets: Type.Integer({ minimum: 0, description: 'keep-alive sockets the probe opened before the run' }),
      staleSeconds: Type.Array(Type.Integer(), {
        description: 'seconds no fresh watchdog snapshot describes: their registry signals are null',
      }),
      scrapes: Type.Integer({ minimum: 0 }),
      failedScrapes: Type.Array(Type.Object({ index: Type.Integer(), error: Type.String() })),
      restored: Type.Boolean({ description: 'every fault was switched off when the run ended' }),
    }),
    phases: Type.Array(
      Type.Object({
        name: Type.String(),
        startSeconds: Type.Number(),
        durationSeconds: Type.Number(),
        settleSeconds: Type.Number(),
        faults: Toggles,
        mitigations: Toggles,
        streams: Type.Array(
          Type.Object({
            kind: Type.Union([Type.Literal('pressure'), Type.Literal('ramp'), Type.Literal('rate'), Type.Literal('burst')]),
            name: Type.String(),
            route: Type.String(),
            method: Type.String(),
            query: Type.Optional(Type.String({ description: 'the query string sent, e.g. "?customer=42"' })),
            headerNames: Type.Optional(
              Type.Array(Type.String(), { description: 'names of the extra headers sent (values are left out: they may be credentials)' }),
            ),
            bodies: Type.Optional(Type.String({ description: 'how bodies were chosen, e.g. "3 rotated" or "5 sampled, seed 7"' })),
            variants: Type.Optional(
              Type.String({ description: 'per-request variants (headers, query, body) and how they were chosen, e.g. "4 rotated"' }),
            ),
            acrossPhases: Type.Optional(
              Type.Object(
                { from: Type.String(), to: Type.String() },
                { description: 'a scenario-level stream running across these phases without restarting' },
              ),
            ),
            connections: Type.Optional(Type.Number()),
            ratePerSecond: Type.Optional(Type.Number()),
            atSecond: Type.Optional(Type.Number({ description: 'burst: seconds from the start of its (first) phase' })),
            count: Type.Optional(Type.Integer()),
            startRate: Type.Optional(Type.Number()),
            stepRate: Type.Optional(Type.Number()),
            stepSeconds: Type.Optional(Type.Number()),
            maxRate: Type.Optional(Type.Number()),
          }),
        ),
        summary: SignalValues,
        summaryLower: Type.Optional(LowerBounds),
        clients: Type.Object({ probe: ClientCounts, cold: ClientCounts, ramp: ClientCounts, pressure: ClientCounts }),
        streamResults: Type.Optional(
          Type.Array(
            Type.Object({
              stream: Type.String(),
              requests: Type.Integer({ minimum: 0 }),
              errors: Type.Integer({ minimum: 0 }),
              timeouts: Type.Integer({ minimum: 0 }),
              p50: Nullable(Type.Number({ description: 'seconds, from the intended send time (open loop) or the send (pressure)' })),
              p99: Nullable(Type.Number({ description: 'seconds; with p99Lower when only "at least the timeout" is known' })),
              p99Lower: Type.Optional(Type.Number()),
            }),
            { description: 'each named load stream over the phase (after settle)' },
          ),
        ),
      }),
    ),
    expectations: Type.Array(
      Type.Object({
        description: Type.String(),
        kind: Type.Union([Type.Literal('threshold'), Type.Literal('lead')]),
        phase: Type.Optional(Type.String()),
        stream: Type.Optional(Type.String({ description: 'the load stream the figure is of' })),
        signal: SignalId,
        stat: Type.Optional(Type.String()),
        above: Type.Optional(Type.Number()),
        below: Type.Optional(Type.Number()),
        observed: Nullable(Type.Number()),
        observedLower: Type.Optional(Type.Number()),
        notObserved: Type.Optional(Type.String({ description: 'lead expectations: why no lead could be measured' })),
        passed: Type.Boolean(),
        why: Type.Optional(Type.String()),
      }),
    ),
    leadTimeReference: Type.Object({
      onsetSeconds: Type.Number({ description: 'run time at which the onset phase started; 0 when the run has no onset' }),
      onsetPhase: Type.Union([Type.String(), Type.Null()], {
        description:
          'the phase that first switches a fault on (or is marked onset); null: no fault, first crossings count from the start of the run',
      }),
      searchEndSeconds: Type.Number({
        description: 'crossings are searched from onset up to here (the end of the onset phase, or of the run)',
      }),
      sloSeconds: Type.Number(),
      sloBreachSeconds: Nullable(Type.Number({ description: 'run time of the warm probe P99’s first sustained crossing of its SLO' })),
      coldSloSeconds: Type.Number(),
      coldSloBreachSeconds: Nullable(Type.Number({ description: 'run time of the cold probe P99’s first sustained crossing of its SLO' })),
    }),
    streamLeadTimes: Type.Optional(
      Type.Array(LeadTimeRowSchema, {
        description:
          'one row per named open-loop stream (rate, burst, ramp): its per-second P99 against its own threshold, searched like leadTimes',
      }),
    ),
    leadTimes: Type.Array(LeadTimeRowSchema),
    alerts: Type.Optional(
      Type.Object(
        {
          evaluated: Type.Boolean(),
          evaluator: Type.Union([Type.String(), Type.Null()], {
            description: 'what produced the times, e.g. promtool test rules (version), evaluation interval 1s',
          }),
          reason: Type.Optional(Type.String({ description: 'why the alerts were not evaluated' })),
          ruleFiles: Type.Array(Type.String()),
          runTimeZero: Type.String({ description: 'ISO 8601 instant of run time 0 (to compare with a Prometheus that scraped the run)' }),
          evaluationIntervalSeconds: Type.Optional(Type.Number()),
          evaluationSeconds: Type.Optional(Type.Number({ description: 'wall time the evaluation took after the run' })),
          alerts: Type.Array(
            Type.Object({
              alertname: Type.String(),
              labels: Type.Record(Type.String(), Type.String()),
              episodes: Type.Array(
                Type.Object({
                  pendingAtSeconds: Type.Number({ description: 'run time of the evaluation that made it pending' }),
                  firingAtSeconds: Nullable(Type.Number({ description: 'null: resolved before its for: elapsed' })),
                  resolvedAtSeconds: Nullable(Type.Number({ description: 'null: still active when the run ended' })),
                }),
              ),
              fired: Type.Boolean(),
              firstPendingSeconds: Nullable(Type.Number()),
              firstFiringSeconds: Nullable(Type.Number()),
              pendingAfterOnsetSeconds: Nullable(Type.Number()),
              firingAfterOnsetSeconds: Nullable(Type.Number()),
              firingRelativeToSloBreachSeconds: Nullable(
                Type.Number({ description: 'first firing − warm SLO breach; negative: before it' }),
              ),
              firingRelativeToColdSloBreachSeconds: Nullable(
                Type.Number({ description: 'first firing − cold SLO breach; negative: before it' }),
              ),
            }),
            { description: 'alerts that went at least pending' },
          ),
          neverPending: Type.Array(Type.String(), { description: 'alert rules that never went pending (so never fired) during the run' }),
        },
        { description: 'alert rules evaluated over the run with Prometheus semantics (for:, keep_firing_for, evaluation interval)' },
      ),
    ),
    series: Type.Object(
      {
        t: Type.Array(Type.Number()),
        phase: Type.Array(Type.String()),
        probeCount: Type.Array(Type.Integer()),
        probeFailures: Type.Array(Type.Integer()),
        coldProbeCount: Type.Array(Type.Integer()),
        coldProbeFailures: Type.Array(Type.Integer()),
        rampCount: Type.Array(Type.Integer()),
        pressureCount: Type.Array(Type.Integer()),
        probeSendLatenessMaxMs: Type.Array(NullableNumber, { description: 'the probe sender’s worst lateness per second (runner-side)' }),
        ...SignalSeries,
        lowerBounds: LowerSeries,
        streams: Type.Optional(
          Type.Record(
            Type.String(),
            Type.Object({ count: Type.Array(Type.Integer()), failures: Type.Array(Type.Integer()), p99: Type.Array(NullableNumber) }),
            {
              description:
                'per named load stream, per second: requests, failed or timed out, P99 (seconds; the lower bound where only "at least the timeout" is known)',
            },
          ),
        ),
      },
      { description: `one entry per second of the run, columns of equal length. ${VALUE_NOTE}` },
    ),
    heldTheLoop: Type.Optional(HeldTheLoopSchema),
    notes: Type.Array(Type.String()),
  },
  { $id: 'https://runtime-lab.local/report.schema.json', title: 'runtime-lab scenario report' },
);

export type Report = Static<typeof ReportSchema>;
export type PhaseReport = Report['phases'][number];
export type ExpectationResult = Report['expectations'][number];
export type LeadTimeRow = Report['leadTimes'][number];
export type Series = Report['series'];

/** The JSON Schema document, as written to report.schema.json. */
export function reportJsonSchema(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...ReportSchema }, null, 2)}\n`;
}
