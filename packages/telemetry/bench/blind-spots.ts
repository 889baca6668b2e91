// What the classic server-side views miss during a stall, measured in one run:
//  - requests stamped with X-Request-Start every 20 ms (open loop) while the app is blocked for
//    1 s: client-side latency vs the server-side histogram (onRequest -> response) vs queue time;
//  - ELU of the interval holding the block vs the cumulative ELU since the process started.
// Usage: node packages/telemetry/dist/bench/blind-spots.js [blockMs=1000] [warmSeconds=20]
import { bucketsDelta, bucketsOf, histogramQuantile, parseExposition, sumOf } from '@runtime-lab/scrape';
import { fmt, get, nowMs, percentile, sleep, startApp, type GetResult } from './lib.js';

const blockMs = Number(process.argv[2] ?? 1000);
const warmSeconds = Number(process.argv[3] ?? 20);

const app = await startApp(true, { watchdog: { port: 0 } });
try {
  // A long quiet run first: cumulative ELU is an average over the process's whole life.
  await sleep(warmSeconds * 1000);
  const metricsUrl = `${app.watchdogUrl}/metrics`;
  const before = parseExposition((await get(metricsUrl)).body ?? '');
  const route = { route: '/ping' };
  const sent: Promise<GetResult>[] = [];
  const start = nowMs();
  const timer = setInterval(() => sent.push(get(`${app.appUrl}/ping`, 10_000, { 'x-request-start': String(Date.now()) })), 20);
  await sleep(300);
  const block = await get(`${app.appUrl}/block?ms=${blockMs}`, blockMs + 10_000);
  await sleep(300);
  clearInterval(timer);
  const results = await Promise.all(sent);
  const { startedMs, endedMs } = JSON.parse(block.body ?? '{}') as { startedMs: number; endedMs: number };
  // Poll for 1.5 s: the ELU gauge holds the interval covering the block for up to 1 s.
  let after = parseExposition('');
  let blockInterval = 0;
  for (const until = nowMs() + 1500; nowMs() < until; await sleep(100)) {
    after = parseExposition((await get(metricsUrl)).body ?? '');
    blockInterval = Math.max(blockInterval, sumOf(after, 'runtime_eventloop_utilization_ratio') ?? 0);
  }
  const latencies = results.filter((r) => r.status === 200).map((r) => r.latencyMs);
  const duringBlock = results.filter((r) => r.sentMs >= startedMs && r.sentMs < endedMs).length;
  const server = bucketsDelta(
    bucketsOf(after, 'runtime_http_request_duration_seconds', route),
    bucketsOf(before, 'runtime_http_request_duration_seconds', route),
  );
  const queue = bucketsDelta(
    bucketsOf(after, 'runtime_http_queue_time_seconds', route),
    bucketsOf(before, 'runtime_http_queue_time_seconds', route),
  );
  console.log(
    `${results.length} requests to /ping sent over ${fmt((results.at(-1)?.sentMs ?? start) - start)} ms, one every 20 ms, ${duringBlock} of them sent during a ${fmt(endedMs - startedMs)} ms block:`,
  );
  console.log(
    `  client-side latency          p50 ${fmt(percentile(latencies, 0.5), 1)} ms  p99 ${fmt(percentile(latencies, 0.99), 1)} ms  max ${fmt(percentile(latencies, 1), 1)} ms`,
  );
  const mean = (b: typeof server, name: string): number =>
    ((sumOf(after, `${name}_sum`, route) ?? 0) - (sumOf(before, `${name}_sum`, route) ?? 0)) / Math.max(1, b.at(-1)?.count ?? 0);
  const over = (b: typeof server, le: number): string =>
    `${(b.at(-1)?.count ?? 0) - (b.find((x) => x.le === le)?.count ?? 0)}/${b.at(-1)?.count ?? 0}`;
  console.log(
    `  server-side histogram        p50 ${fmt(histogramQuantile(0.5, server) * 1000, 1)} ms  p99 ${fmt(histogramQuantile(0.99, server) * 1000, 1)} ms  ` +
      `mean ${fmt(mean(server, 'runtime_http_request_duration_seconds') * 1000, 1)} ms  over 250 ms: ${over(server, 0.25)}  (runtime_http_request_duration_seconds)`,
  );
  console.log(
    `  queue time (X-Request-Start) p50 ${fmt(histogramQuantile(0.5, queue) * 1000, 1)} ms  mean ${fmt(mean(queue, 'runtime_http_queue_time_seconds') * 1000, 1)} ms  ` +
      `over 250 ms: ${over(queue, 0.25)}  (runtime_http_queue_time_seconds)`,
  );
  console.log(`  client-side, over 250 ms: ${latencies.filter((l) => l > 250).length}/${latencies.length}`);
  const activeSeconds = sumOf(after, 'runtime_eventloop_active_seconds_total') ?? Number.NaN;
  const startTime = sumOf(after, 'process_start_time_seconds') ?? Number.NaN;
  const uptime = Date.now() / 1000 - startTime;
  console.log(`\nEvent-loop utilization around the block (process up ${fmt(uptime)} s):`);
  console.log(`  runtime_eventloop_utilization_ratio (the 1 s interval holding the block): ${fmt(blockInterval, 3)}`);
  console.log(`  cumulative since start (active_seconds_total / uptime):   ${fmt(activeSeconds / uptime, 3)}`);
} finally {
  await app.stop();
}
