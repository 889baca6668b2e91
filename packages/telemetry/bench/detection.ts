// Detection: how soon after a block starts does each signal show it?
// Inject a 2 s block; poll the watchdog port every 10 ms; time from block onset to the first
// reading of >= 100 ms stall (target <= 150 ms). In the same run, a Prometheus-like scraper on a
// main-loop /metrics route shows when prom-client's default lag metrics first reveal it.
// Usage: node packages/telemetry/dist/bench/detection.js [trials=5] [blockMs=2000]
import { parseExposition, sumOf } from '@runtime-lab/scrape';
import { fmt, get, median, pollOpenLoop, scrapeLoop, sleep, startApp, type GetResult } from './lib.js';

const trials = Number(process.argv[2] ?? 5);
const blockMs = Number(process.argv[3] ?? 2000);
const THRESHOLD_S = 0.1;

/** First response (by arrival) whose metric is >= threshold, as ms after onset. */
function firstReveal(results: GetResult[], metric: string, onsetMs: number): number | undefined {
  const hits = results
    .filter((r) => r.status === 200 && r.doneMs >= onsetMs)
    .filter((r) => (sumOf(parseExposition(r.body ?? ''), metric) ?? 0) >= THRESHOLD_S)
    .map((r) => r.doneMs - onsetMs);
  return hits.length ? Math.min(...hits) : undefined;
}

const rows: Record<string, Array<number | undefined>> = {};
const record = (name: string, value: number | undefined): void => {
  rows[name] ??= [];
  rows[name].push(value);
};

// Two set-ups, same blocks:
//  lab:     the plugin with its watchdog, polled every 10 ms, and a main-loop /metrics route
//           scraped every 10 ms (one scrape in flight at a time, as Prometheus does);
//  classic: prom-client as usually deployed (no watchdog), its main-loop /metrics route scraped
//           every 1 s, so its reset-on-scrape percentiles get a 1 s window.
const setups = [
  { name: 'lab', options: { watchdog: { port: 0 }, metricsRoute: true }, scrapeIntervalMs: 10 },
  { name: 'classic', options: { watchdog: false as const, metricsRoute: true }, scrapeIntervalMs: 1000 },
];

for (const setup of setups) {
  const app = await startApp(true, setup.options);
  try {
    const mainRoute = `${app.appUrl}/metrics`;
    const main = `${setup.name} main-loop /metrics every ${setup.scrapeIntervalMs} ms`;
    for (let trial = 1; trial <= trials; trial++) {
      // Quiet for longer than the 5 s max window, at a random phase, so each trial starts clean.
      await sleep(5500 + Math.random() * 1000);
      const poller = app.watchdogUrl ? pollOpenLoop(`${app.watchdogUrl}/metrics`, 10, 5000) : undefined;
      const scraper = scrapeLoop(mainRoute, setup.scrapeIntervalMs, 10_000);
      await sleep(200);
      const block = await get(`${app.appUrl}/block?ms=${blockMs}`, blockMs + 10_000);
      const { startedMs: onsetMs } = JSON.parse(block.body ?? '{}') as { startedMs: number };
      await sleep(1200); // after the block: snapshots and scrapes catch up
      const [polls, scrapes] = await Promise.all([poller?.stop() ?? [], scraper.stop()]);

      if (poller) {
        record('lab watchdog: runtime_eventloop_stall_seconds (live)', firstReveal(polls, 'runtime_eventloop_stall_seconds', onsetMs));
        record('lab watchdog: runtime_eventloop_delay_max_seconds', firstReveal(polls, 'runtime_eventloop_delay_max_seconds', onsetMs));
        record('lab watchdog: nodejs_eventloop_lag_max_seconds', firstReveal(polls, 'nodejs_eventloop_lag_max_seconds', onsetMs));
        const sentDuring = polls.filter((r) => r.sentMs >= onsetMs && r.sentMs < onsetMs + blockMs);
        const answered = sentDuring.filter((r) => r.status === 200 && r.latencyMs < 50).length;
        console.log(
          `${setup.name} trial ${trial}: watchdog stall >= ${THRESHOLD_S * 1000} ms read ${fmt(rows['lab watchdog: runtime_eventloop_stall_seconds (live)']?.at(-1))} ms after onset; ` +
            `${answered}/${sentDuring.length} watchdog polls sent during the block answered within 50 ms`,
        );
      }
      const firstAnswer = scrapes.filter((r) => r.status === 200 && r.sentMs >= onsetMs).map((r) => r.doneMs - onsetMs);
      record(`${main}: first answer to a scrape sent after onset`, firstAnswer.length ? Math.min(...firstAnswer) : undefined);
      for (const metric of [
        'nodejs_eventloop_lag_seconds',
        'nodejs_eventloop_lag_p99_seconds',
        'nodejs_eventloop_lag_max_seconds',
        'runtime_eventloop_delay_max_seconds',
      ]) {
        record(`${main}: ${metric}`, firstReveal(scrapes, metric, onsetMs));
      }
    }
  } finally {
    await app.stop();
  }
}

console.log(
  `\nDetection of a ${blockMs} ms block: ms from block onset to the first reading >= ${THRESHOLD_S * 1000} ms (${trials} trials each; 'never' = not by 1.2 s after the block ended)`,
);
for (const [name, values] of Object.entries(rows)) {
  const seen = values.filter((v): v is number => v !== undefined);
  const list = values.map((v) => (v === undefined ? 'never' : fmt(v))).join(', ');
  console.log(`  ${name.padEnd(75)} median ${seen.length ? fmt(median(seen)).padStart(5) : 'never'}  [${list}]`);
}
