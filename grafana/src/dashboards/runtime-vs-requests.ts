// The home dashboard: the lab's lesson on one screen. Loop delay and live stall against the
// server-side and client-side P99 on one (log) time axis, so the divergence is seen, not argued.
import {
  METRIC_EVENTLOOP_DELAY_MAX_SECONDS,
  METRIC_EVENTLOOP_DELAY_SECONDS,
  METRIC_EVENTLOOP_STALL_DURATION_SECONDS,
  METRIC_EVENTLOOP_STALL_SECONDS,
  METRIC_EVENTLOOP_UTILIZATION_RATIO,
  METRIC_HTTP_QUEUE_TIME_SECONDS,
  METRIC_HTTP_REQUESTS_INFLIGHT,
  METRIC_HTTP_REQUEST_DURATION_SECONDS,
  METRIC_LAB_FAULT_ACTIVE,
  METRIC_LAB_RUNNER_REQUEST_DURATION_SECONDS,
  METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS,
} from '@runtime-lab/metric-names';
import { buildDashboard } from '../layout.js';
import { COLORS, onOffBand, stat, timeseries } from '../panels.js';

export const uid = 'runtime-vs-requests';

/** Legend prefixes of the headline panel, coloured by what measured them. */
const VIEW_COLORS = [
  { match: '^loop delay max.*', color: COLORS.loop },
  { match: '^loop delay p99.*', color: COLORS.loopP99 },
  { match: '^live stall.*', color: COLORS.stall },
  { match: '^server P99.*', color: COLORS.server },
  { match: '^client P99.*', color: COLORS.client },
];

export function build() {
  return buildDashboard({
    uid,
    title: 'Runtime vs requests',
    description:
      'Home of runtime-lab: the event loop against request latency. Under blocking, loop delay and client-side P99 jump together while the server-side P99 stays calm.',
    rows: [
      {
        title: 'At a glance',
        panels: [
          stat({
            title: 'Loop delay max, last 5 s (api)',
            description:
              "Longest event-loop delay the api recorded over the last 5 s (the telemetry's loopDelay.maxWindowSeconds, 5 by default): a stall that ended up to 5 s ago still shows here, so read the live stall to its right for what is happening now. Healthy: a few milliseconds. Orange or red: requests that arrived in that window waited about this long before the server even saw them.",
            unit: 's',
            width: 6,
            height: 5,
            query: { expr: `job:${METRIC_EVENTLOOP_DELAY_MAX_SECONDS}:max{job="api"}`, legend: 'loop delay max, last 5 s' },
            thresholds: [
              [0.05, 'orange'],
              [0.1, 'red'],
            ],
          }),
          stat({
            title: 'Live stall (api)',
            description:
              "Seconds since the api's main thread last checked in, computed by the watchdog thread at scrape time: it climbs while a stall is happening instead of appearing after it ends. Above 0.1 s a stall is in progress.",
            unit: 's',
            width: 6,
            height: 5,
            query: { expr: `job:${METRIC_EVENTLOOP_STALL_SECONDS}:max{job="api"}`, legend: 'live stall' },
            thresholds: [
              [0.1, 'orange'],
              [0.5, 'red'],
            ],
          }),
          stat({
            title: 'Probe P99, warm and cold (client side)',
            description:
              "P99 of the scenario runner's two open-loop probe populations, timed from the intended send time, so waiting for a stalled loop counts: probe = warm (keep-alive sockets opened before the run), cold-probe = a new connection per request (load balancers without keep-alive, health checkers, kubelet probes), which also waits for the api to accept it. Empty when no scenario runs (docker compose run --rm lab run blocking). Compare both with the server-side P99 to the right.",
            unit: 's',
            width: 6,
            height: 5,
            query: {
              expr: `max by (kind) (scenario_stream_kind:${METRIC_LAB_RUNNER_REQUEST_DURATION_SECONDS}:p99_rate10s{kind=~"probe|cold-probe"})`,
              legend: '{{kind}} P99',
            },
            thresholds: [
              [0.1, 'orange'],
              [0.5, 'red'],
            ],
          }),
          stat({
            title: 'Server-side P99 of /api/ping',
            description:
              "What the api's own request histogram says about the probe's route, timed from onRequest to the response. It stays green during a stall: the time a request waited for the loop happens before onRequest. That gap is the lab's lesson.",
            unit: 's',
            width: 6,
            height: 5,
            query: {
              expr: `job_route:${METRIC_HTTP_REQUEST_DURATION_SECONDS}:p99_rate10s{job="api",route="/api/ping"}`,
              legend: 'server P99 /api/ping',
            },
            thresholds: [
              [0.1, 'orange'],
              [0.5, 'red'],
            ],
          }),
        ],
      },
      {
        title: 'Loop delay vs request latency',
        panels: [
          timeseries({
            title: 'Event loop vs P99, one time axis',
            description:
              'Log scale. Green: server-side P99 per route (onRequest to response; the healthcheck route left out). Purple: client-side P99 of the probes, warm (probe: keep-alive sockets) and cold (cold-probe: a new connection per request, which also waits for the accept). Orange and red: loop delay and the live stall. When a fault blocks the loop, orange, red and purple rise together while green stays low: the server never measures the wait. Red markers are fault toggles, blue ones scenario phases.',
            unit: 's',
            width: 24,
            height: 12,
            logScale: true,
            colors: VIEW_COLORS,
            queries: [
              { expr: `job:${METRIC_EVENTLOOP_DELAY_MAX_SECONDS}:max{job="api"}`, legend: 'loop delay max (api)' },
              { expr: `job:${METRIC_EVENTLOOP_DELAY_SECONDS}:p99_rate10s{job="api"}`, legend: 'loop delay p99 (api)' },
              { expr: `job:${METRIC_EVENTLOOP_STALL_SECONDS}:max{job="api"}`, legend: 'live stall (api)' },
              {
                expr: `job_route:${METRIC_HTTP_REQUEST_DURATION_SECONDS}:p99_rate10s{job="api",route!="/health"}`,
                legend: 'server P99 {{route}}',
              },
              {
                expr: `scenario_stream_kind:${METRIC_LAB_RUNNER_REQUEST_DURATION_SECONDS}:p99_rate10s{kind=~"probe|cold-probe"}`,
                legend: 'client P99 {{stream}}',
              },
            ],
          }),
        ],
      },
      {
        title: 'Runtime',
        panels: [
          timeseries({
            title: 'What held the loop (stall attribution)',
            description:
              'Share of each second the api\'s loop spent stalled, per function that held it: the api\'s watchdog captures the main thread\'s stack while a stall longer than 100 ms lasts, and counts the stall when it ends under the captured frame (function, TypeScript file:line). Each band names code to fix: under the cpu blocking fault it reads spinCpu. "other" groups frames beyond the first ten; "unknown" means native code held the loop with no JavaScript on the stack. Empty while no stall passes the threshold.',
            unit: 'percentunit',
            width: 24,
            height: 8,
            min: 0,
            stepped: true,
            queries: [{ expr: 'job_frame:runtime_eventloop_attributed_stall_seconds:rate10s{job="api"}', legend: '{{frame}}' }],
          }),
          timeseries({
            title: 'Event-loop utilization',
            description:
              'Fraction of time the loop was busy: the 1 s gauge and the 10 s rate of active time. Above about 0.8 the loop has no slack left and latency grows before any error shows; in a ramp it crosses 0.8 seconds before the probe P99 moves. During a stall the gauge holds its last value: read the live stall there.',
            unit: 'percentunit',
            width: 12,
            height: 8,
            min: 0,
            max: 1,
            queries: [
              { expr: `job:${METRIC_EVENTLOOP_UTILIZATION_RATIO}:max`, legend: 'ELU 1 s {{job}}' },
              { expr: 'job:runtime_eventloop_active_seconds:rate10s', legend: 'ELU 10 s {{job}}' },
            ],
          }),
          timeseries({
            title: 'In-flight requests',
            description:
              "Requests received and not yet answered (Little's law: arrival rate times time in the system). It climbs when requests take longer; right after a stall it spikes, as every connection that queued during the stall is accepted at once.",
            unit: 'short',
            width: 12,
            height: 8,
            min: 0,
            queries: [{ expr: `job:${METRIC_HTTP_REQUESTS_INFLIGHT}:sum`, legend: 'in flight {{job}}' }],
          }),
          timeseries({
            title: 'Time waiting for the loop (queue time P99)',
            description:
              "From the client's X-Request-Start header to onRequest: how long a request waited before the server started its clock. It is the gap between the purple and green lines above. Only requests that carry the header are counted.",
            unit: 's',
            width: 12,
            height: 8,
            logScale: true,
            colors: [{ match: '.*', color: COLORS.queue }],
            queries: [{ expr: `job_route:${METRIC_HTTP_QUEUE_TIME_SECONDS}:p99_rate10s`, legend: 'queue time P99 {{route}}' }],
          }),
          timeseries({
            title: 'Completed requests per route',
            description:
              'Requests answered per second, per route. When the probe keeps sending at a fixed rate and this drops, requests are waiting, not gone: they arrive all at once when the loop frees up.',
            unit: 'reqps',
            width: 12,
            height: 8,
            min: 0,
            queries: [{ expr: 'job_route:runtime_http_requests:rate10s{job="api",route!="/health"}', legend: '{{route}}' }],
          }),
          timeseries({
            title: "Loop delay p99: prom-client's vs time-weighted",
            description:
              'prom-client\'s nodejs_eventloop_lag_p99_seconds is reset at every scrape and counts a stall as one sample among ~100 per second, so a 1 s stall in 10 s barely moves it. The lab\'s histogram is weighted by time (one observation per 10 ms of wall time; a stall also records the ticks it swallowed) and cumulative: its p99 reads "for 1 % of the last 10 s, a task that became ready waited at least this long", in every window and for every scraper. Watch how differently the two lines react to the same stall.',
            unit: 's',
            width: 12,
            height: 8,
            logScale: true,
            queries: [
              { expr: 'job:nodejs_eventloop_lag_p99_seconds:max{job="api"}', legend: 'prom-client p99 (reset per scrape)' },
              { expr: `job:${METRIC_EVENTLOOP_DELAY_SECONDS}:p99_rate10s{job="api"}`, legend: 'time-weighted p99 (10 s)' },
            ],
          }),
          timeseries({
            title: 'Loop stalls: how many, and the share of time they took',
            description: `Stalls of 10 ms or more counted as events (${METRIC_EVENTLOOP_STALL_DURATION_SECONDS}): stalls per second, and seconds stalled per second, i.e. the share of wall time the loop could not run anything else. Many short stalls and one long one can take the same share; the p99 beside it tells them apart.`,
            unit: 'short',
            width: 12,
            height: 8,
            min: 0,
            queries: [
              { expr: 'job:runtime_eventloop_stalls:rate10s{job="api"}', legend: 'stalls per second' },
              { expr: `job:${METRIC_EVENTLOOP_STALL_DURATION_SECONDS}:rate10s{job="api"}`, legend: 'share of time stalled' },
            ],
          }),
          timeseries({
            title: 'Scrape health: up and watchdog snapshot age',
            description:
              'up is 1 when Prometheus reached the target; snapshot age (seconds) is how old the registry snapshot the watchdog served was. During a stall the watchdog keeps answering, so up stays 1 and the age grows. up at 0 for api or downstream means the service (or its watchdog) is down; for the runner it only means no scenario is running.',
            unit: 'short',
            width: 24,
            height: 8,
            min: 0,
            queries: [
              { expr: 'job:up:min', legend: 'up {{job}}' },
              { expr: `job:${METRIC_WATCHDOG_SNAPSHOT_AGE_SECONDS}:max`, legend: 'snapshot age (s) {{job}}' },
            ],
          }),
          onOffBand({
            title: 'Fault and mitigation toggles',
            description:
              'Which faults and mitigations are on (1) and since when; the same toggles mark every panel as red annotations. Toggles expire after their TTL; the runner resets the ones it set when it ends, and `lab fault clear` switches them all off.',
            queries: [{ expr: `fault_kind:${METRIC_LAB_FAULT_ACTIVE}:max`, legend: '{{kind}} {{fault}}' }],
          }),
        ],
      },
    ],
  });
}
