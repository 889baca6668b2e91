// Availability: during a 5 s block of the main thread, what share of scrapes of the watchdog
// port answer within 50 ms (target >= 99 %)? Scrapes start every 10 ms on a fixed schedule
// (open loop, each with a 1 s timeout). The same is measured, in the same run, for a /metrics
// route on the main loop, scraped every 100 ms.
// Usage: node packages/telemetry/dist/bench/availability.js [blockMs=5000]
import { fmt, get, percentile, pollOpenLoop, sleep, startApp, type GetResult } from './lib.js';

const blockMs = Number(process.argv[2] ?? 5000);
const WITHIN_MS = 50;

function report(name: string, results: GetResult[]): void {
  const ok = results.filter((r) => r.status === 200 && r.latencyMs <= WITHIN_MS).length;
  const latencies = results.map((r) => (r.status === 200 ? r.latencyMs : Number.POSITIVE_INFINITY));
  const failed = results.filter((r) => r.status !== 200).length;
  console.log(
    `  ${name.padEnd(34)} ${ok}/${results.length} within ${WITHIN_MS} ms = ${fmt((100 * ok) / Math.max(1, results.length), 2)} %; ` +
      `p50 ${fmt(percentile(latencies, 0.5), 1)} ms, p99 ${fmt(percentile(latencies, 0.99), 1)} ms, max ${fmt(percentile(latencies, 1), 1)} ms; ${failed} failed/timed out`,
  );
}

const app = await startApp(true, { watchdog: { port: 0 }, metricsRoute: true });
try {
  await sleep(1500);
  const watchdog = pollOpenLoop(`${app.watchdogUrl}/metrics`, 10, 1000);
  const mainRoute = pollOpenLoop(`${app.appUrl}/metrics`, 100, 1000);
  await sleep(300);
  const block = await get(`${app.appUrl}/block?ms=${blockMs}`, blockMs + 10_000);
  const { startedMs, endedMs } = JSON.parse(block.body ?? '{}') as { startedMs: number; endedMs: number };
  await sleep(1100); // every scrape sent during the block has answered or timed out
  const [w, m] = await Promise.all([watchdog.stop(), mainRoute.stop()]);
  const during = (r: GetResult): boolean => r.sentMs >= startedMs && r.sentMs < endedMs;
  console.log(`Availability during a ${fmt(endedMs - startedMs)} ms block (scrapes sent while the main thread was blocked):`);
  report('watchdog port /metrics (every 10 ms)', w.filter(during));
  report('main-loop /metrics (every 100 ms)', m.filter(during));
} finally {
  await app.stop();
}
