// The scenario runner's own, client-side view: latency and outcomes per stream and phase.
import {
  METRIC_HTTP_REQUEST_DURATION_SECONDS,
  METRIC_LAB_RUNNER_PHASE_INFO,
  METRIC_LAB_RUNNER_REQUEST_DURATION_SECONDS,
  METRIC_LAB_RUNNER_UP,
} from '@runtime-lab/metric-names';
import { buildDashboard } from '../layout.js';
import { COLORS, onOffBand, timeseries } from '../panels.js';

export const uid = 'scenario-runs';

export function build() {
  return buildDashboard({
    uid,
    title: 'Scenario runs',
    description:
      "The scenario runner's client-side metrics by stream and phase. Empty between runs: start one with docker compose run --rm lab run blocking.",
    rows: [
      {
        title: 'Runs',
        panels: [
          onOffBand({
            title: 'Running scenario and phase',
            description:
              'Each line is 1 while that scenario or phase runs. Nothing here means no run is in progress (or Prometheus cannot reach the runner): start one with docker compose run --rm lab run blocking.',
            queries: [
              { expr: `scenario:${METRIC_LAB_RUNNER_UP}:max`, legend: '{{scenario}} running' },
              { expr: `scenario_phase:${METRIC_LAB_RUNNER_PHASE_INFO}:max`, legend: '{{scenario}} / {{phase}}' },
            ],
          }),
        ],
      },
      {
        title: 'Client-side latency',
        panels: [
          timeseries({
            title: 'Client P99 by stream',
            description:
              'P99 measured by the runner. probe streams are open-loop (a fixed rate, timed from the intended send time), so a stall shows its full cost. pressure and ramp streams are closed-loop (autocannon): they slow down with the server and under-report waiting, so do not read them as user latency.',
            unit: 's',
            width: 12,
            height: 8,
            logScale: true,
            queries: [
              {
                expr: `scenario_stream_kind:${METRIC_LAB_RUNNER_REQUEST_DURATION_SECONDS}:p99_rate10s`,
                legend: '{{stream}} ({{kind}}) P99',
              },
            ],
          }),
          timeseries({
            title: 'Client P50 by stream',
            description:
              'The median next to the P99: a P50 that stays low while the P99 jumps means a few requests hit a stall and most did not; both rising means everything is waiting.',
            unit: 's',
            width: 12,
            height: 8,
            logScale: true,
            queries: [
              {
                expr: `scenario_stream_kind:${METRIC_LAB_RUNNER_REQUEST_DURATION_SECONDS}:p50_rate10s`,
                legend: '{{stream}} ({{kind}}) P50',
              },
            ],
          }),
          timeseries({
            title: 'Client P99 by phase',
            description:
              'The same P99 split by phase, to compare the baseline against the fault and the mitigation phases of one run. A phase line only has values while that phase runs.',
            unit: 's',
            width: 12,
            height: 8,
            logScale: true,
            queries: [
              {
                expr: `scenario_phase_stream_kind:${METRIC_LAB_RUNNER_REQUEST_DURATION_SECONDS}:p99_rate10s`,
                legend: '{{phase}}: {{stream}}',
              },
            ],
          }),
          timeseries({
            title: 'Requests by outcome',
            description:
              'Requests sent per second by result. A probe that keeps its rate while timeouts appear is the client-side SLO breaking; a pressure stream whose rate falls is the server slowing its clients down.',
            unit: 'reqps',
            width: 12,
            height: 8,
            min: 0,
            queries: [{ expr: 'scenario_stream_outcome:lab_runner_requests:rate10s', legend: '{{stream}} {{outcome}}' }],
          }),
          timeseries({
            title: 'Client vs server P99',
            description:
              "The divergence from the runner's side: the probes' P99 (probe: warm, keep-alive; cold-probe: a new connection per request) against the api's own per-route P99. The distance between purple and green is time the server never measured: waiting for the event loop before onRequest.",
            unit: 's',
            width: 24,
            height: 8,
            logScale: true,
            colors: [
              { match: '^client.*', color: COLORS.client },
              { match: '^server.*', color: COLORS.server },
            ],
            queries: [
              {
                expr: `scenario_stream_kind:${METRIC_LAB_RUNNER_REQUEST_DURATION_SECONDS}:p99_rate10s{kind=~"probe|cold-probe"}`,
                legend: 'client P99 {{stream}}',
              },
              {
                expr: `job_route:${METRIC_HTTP_REQUEST_DURATION_SECONDS}:p99_rate10s{job="api",route!="/health"}`,
                legend: 'server P99 {{route}}',
              },
            ],
          }),
        ],
      },
    ],
  });
}
