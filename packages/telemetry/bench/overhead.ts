// Overhead: requests/s of a trivial route with the plugin (all features on, watchdog included)
// vs without, in the same run, autocannon with 10 connections (closed loop: this measures
// throughput, not open-loop latency).
//
// This machine is shared, and two identical Node processes can differ by 20-30 % in
// throughput (JIT and placement luck), so each pair starts both apps fresh, pinned to the same
// CPU, warms them up, loads them one after the other (alternating which goes first), and stops
// them; the figure is the median of the per-pair ratios. The app's own CPU time per request is
// reported too: it does not depend on how much CPU other work left us.
// `aa` as the third argument compares two apps WITHOUT the plugin: the noise floor of this bench;
// a JSON object there instead gives the plugin options to measure (default: all on). A JSON object
// as the fourth argument runs the baseline app WITH the plugin under those options, so one
// feature can be measured against the plugin without it (e.g. stallAttribution on vs off).
// Usage: node packages/telemetry/dist/bench/overhead.js [pairs=10] [secondsPerRound=3] [aa | '{"http":false}'] ['{baseline options}']
import autocannon from 'autocannon';
import type { TelemetryOptions } from '../src/index.js';
import { cpuMs, fmt, lastCpuIfPinnable, median, type RunningApp, sleep, startApp } from './lib.js';

const pairs = Number(process.argv[2] ?? 10);
const seconds = Number(process.argv[3] ?? 3);
const calibration = process.argv[4] === 'aa';
const pluginOptions: TelemetryOptions = { watchdog: { port: 0 }, ...(process.argv[4]?.startsWith('{') ? JSON.parse(process.argv[4]) : {}) };
const baselineOptions: TelemetryOptions | undefined = process.argv[5]?.startsWith('{')
  ? { watchdog: { port: 0 }, ...JSON.parse(process.argv[5]) }
  : undefined;
const cpu = lastCpuIfPinnable();

interface Round {
  rps: number;
  p99: number;
  cpuUsPerRequest: number;
}

async function load(app: RunningApp, duration: number): Promise<Round> {
  const cpuBefore = cpuMs(app.pid);
  const result = await autocannon({ url: `${app.appUrl}/ping`, connections: 10, duration });
  if (result.errors || result.non2xx || result.timeouts) {
    throw new Error(`${app.appUrl}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.timeouts} timeouts`);
  }
  const cpuUsPerRequest = ((cpuMs(app.pid) - cpuBefore) * 1000) / Math.max(1, result.requests.total);
  return { rps: result.requests.average, p99: result.latency.p99, cpuUsPerRequest };
}

const rows: Array<{ without: Round; with: Round }> = [];
for (let pair = 1; pair <= pairs; pair++) {
  const without = await startApp(baselineOptions !== undefined, baselineOptions ?? {}, cpu);
  const withPlugin = await startApp(!calibration, pluginOptions, cpu);
  try {
    const order = pair % 2 ? [without, withPlugin] : [withPlugin, without];
    for (const app of order) await load(app, 1); // warm-up: JIT, sockets
    const results = new Map<RunningApp, Round>();
    for (const app of order) {
      await sleep(200);
      results.set(app, await load(app, seconds));
    }
    const a = results.get(without);
    const b = results.get(withPlugin);
    if (!a || !b) throw new Error('missing result');
    rows.push({ without: a, with: b });
    console.log(
      `pair ${pair}: without ${fmt(a.rps)} req/s (p99 ${a.p99} ms, ${fmt(a.cpuUsPerRequest, 1)} us CPU/req), ` +
        `with ${fmt(b.rps)} req/s (p99 ${b.p99} ms, ${fmt(b.cpuUsPerRequest, 1)} us CPU/req): ${fmt((100 * b.rps) / a.rps, 1)} %`,
    );
  } finally {
    await Promise.all([without.stop(), withPlugin.stop()]);
  }
}

const m = (f: (r: { without: Round; with: Round }) => number): number => median(rows.map(f));
console.log(
  `\nOverhead${calibration ? ' CALIBRATION (both apps WITHOUT the plugin)' : ''}: ${pairs} pairs of ${seconds} s rounds, ` +
    `autocannon 10 connections, GET /ping, apps pinned to CPU ${cpu ?? 'none (no taskset)'}, plugin options ${JSON.stringify(pluginOptions)}` +
    (baselineOptions ? `; "without" = the plugin with ${JSON.stringify(baselineOptions)}` : ''),
);
console.log(
  `  without plugin: median ${fmt(m((r) => r.without.rps))} req/s, p99 median ${fmt(
    m((r) => r.without.p99),
    1,
  )} ms`,
);
console.log(
  `  with plugin:    median ${fmt(m((r) => r.with.rps))} req/s, p99 median ${fmt(
    m((r) => r.with.p99),
    1,
  )} ms`,
);
console.log(
  `  throughput with/without, median of pair ratios: ${fmt(
    m((r) => (100 * r.with.rps) / r.without.rps),
    1,
  )} % (target >= 90 %)`,
);
console.log(
  `  app CPU per request: without ${fmt(
    m((r) => r.without.cpuUsPerRequest),
    1,
  )} us, with ${fmt(
    m((r) => r.with.cpuUsPerRequest),
    1,
  )} us; ` +
    `without/with ${fmt(
      m((r) => (100 * r.without.cpuUsPerRequest) / r.with.cpuUsPerRequest),
      1,
    )} %`,
);
console.log(
  `  p99 difference (with - without), median of pairs: ${fmt(
    m((r) => r.with.p99 - r.without.p99),
    1,
  )} ms`,
);
