// The plugin's own cost with a large registry: the longest loop stall and the ELU of an app
// whose registry holds one histogram with N label sets, (1) idle and unscraped, (2) scraped like
// Prometheus (one scrape every interval) through the watchdog port, against (3) the same
// registry served by a /metrics route on the main loop (watchdog off). App CPU per scrape is
// the process's CPU time (all threads) in the scraped phase minus the idle phase's, per scrape.
// Loop figures come from the app's own monitorEventLoopDelay (not the plugin's), read through
// GET /bench/loop at the end of each phase.
// Usage: node packages/telemetry/dist/bench/snapshot-cost.js [sizes=1000,10000,20000] [seconds=10] [intervalMs=2000]
import { cpuMs, fmt, get, lastCpuIfPinnable, type RunningApp, scrapeLoop, sleep, startApp } from './lib.js';

const sizes = (process.argv[2] ?? '1000,10000,20000').split(',').map(Number);
const seconds = Number(process.argv[3] ?? 10);
const intervalMs = Number(process.argv[4] ?? 2000);
const cpu = lastCpuIfPinnable();

interface Phase {
  maxMs: number;
  elu: number;
  cpuMs: number;
  scrapes: number;
  bytes: number;
}

async function loopStats(app: RunningApp): Promise<{ maxMs: number; elu: number }> {
  const response = await get(`${app.appUrl}/bench/loop`, 30_000);
  return JSON.parse(response.body ?? '{}') as { maxMs: number; elu: number };
}

async function phase(app: RunningApp, scrapeUrl: string | undefined): Promise<Phase> {
  await loopStats(app);
  const cpuBefore = cpuMs(app.pid);
  const scraper = scrapeUrl ? scrapeLoop(scrapeUrl, intervalMs, 30_000) : undefined;
  await sleep(seconds * 1000);
  const results = (await scraper?.stop()) ?? [];
  const stats = await loopStats(app);
  const failed = results.filter((r) => r.status !== 200);
  if (failed.length) throw new Error(`${failed.length} scrapes failed: ${failed[0]?.error ?? failed[0]?.status}`);
  return { ...stats, cpuMs: cpuMs(app.pid) - cpuBefore, scrapes: results.length, bytes: results.at(-1)?.body?.length ?? 0 };
}

console.log(
  `snapshot cost: one histogram of N label sets (14 buckets); phases of ${seconds} s; scrapes every ${intervalMs} ms; app pinned to CPU ${cpu ?? '(none)'}`,
);
for (const size of sizes) {
  for (const variant of ['watchdog', 'main-loop route'] as const) {
    const options = variant === 'watchdog' ? { watchdog: { port: 0 } } : { watchdog: false as const, metricsRoute: true };
    const app = await startApp(true, options, cpu, { bigSeries: size });
    try {
      await sleep(1500);
      const idle = variant === 'watchdog' ? await phase(app, undefined) : undefined;
      const url = variant === 'watchdog' ? `${app.watchdogUrl}/metrics` : `${app.appUrl}/metrics`;
      const scraped = await phase(app, url);
      const idleCpuMs = idle ? idle.cpuMs : 0;
      const perScrape = (scraped.cpuMs - idleCpuMs) / Math.max(1, scraped.scrapes);
      console.log(
        `${String(size).padStart(6)} series, ${variant.padEnd(15)}` +
          (idle
            ? ` idle: max stall ${fmt(idle.maxMs, 1)} ms, ELU ${fmt(idle.elu, 3)}, CPU ${fmt(idle.cpuMs)} ms;`
            : ' idle: (not measured: the route costs nothing unscraped);') +
          ` scraped: max stall ${fmt(scraped.maxMs, 1)} ms, ELU ${fmt(scraped.elu, 3)}, ${scraped.scrapes} scrapes of ${fmt(scraped.bytes / 1e6, 1)} MB, CPU ${fmt(perScrape)} ms per scrape`,
      );
    } finally {
      await app.stop();
    }
  }
}
