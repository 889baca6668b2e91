// The plugin's own cost with a large registry: an app whose registry holds one extra metric
// with N label sets (a 14-bucket histogram, a counter, or with kinds=summary a 7-quantile summary), scraped like Prometheus (one scrape
// every interval) through the watchdog port, against the same registry served by a /metrics
// route on the main loop (watchdog off). Per row, measured inside the app (bench/app.ts):
//   held  - the plugin's own hold on the loop: the longest slice of a watchdog snapshot (main-thread
//           work between two yields, from the snapshot diagnostics channel), or the longest
//           main-loop GET /metrics (onRequest to onResponse): wall time / main-thread CPU time
//           (process.threadCpuUsage; the CPU figure leaves out the time the OS ran something else);
//   GC    - the longest V8 GC pause (gc performance entries) while scraped;
//   gap   - the longest event-loop delay while scraped (monitorEventLoopDelay, 1 ms timer): held,
//           GC and the time the OS did not run us, together. A setImmediate chain would see the
//           same gaps but hold the CPU at 100 % and spoil the CPU figure. "idle gap" is the same
//           meter in the idle phase just before (no scrape, no snapshot): this machine's noise floor;
//   CPU   - the process's CPU time (all threads, process.cpuUsage() in the app) while scraped minus
//           while idle (an idle phase of the same app first, per second), per scrape;
//   main CPU - the main thread's CPU time in those slices or routes, per scrape (the load-insensitive
//           part of the CPU figure: the rest is the watchdog thread, GC helpers, the HTTP write);
//   age   - runtime_watchdog_snapshot_age_seconds in each watchdog scrape's answer, median / max
//           (how fresh the slices leave the snapshot; a main-loop route's answer is always fresh);
//   snap  - a watchdog snapshot's longest start-to-last-chunk time and its number of slices.
// Size 0 measures the plugin's own registry alone (default metrics included). The main-thread CPU
// figures need process.threadCpuUsage() (Node 22.19+); on older Nodes they print n/a.
// Usage: node packages/telemetry/dist/bench/snapshot-cost.js [sizes=1000,10000,20000] [seconds=6] [intervalMs=1000] [kinds=histogram,counter(,summary)] [variants=watchdog,route(,watchdog-nice0)]
import { loadavg } from 'node:os';
import { fmt, get, lastCpuIfPinnable, median, type RunningApp, scrapeLoop, sleep, startApp } from './lib.js';

const sizes = (process.argv[2] ?? '1000,10000,20000').split(',').map(Number);
const seconds = Number(process.argv[3] ?? 6);
const intervalMs = Number(process.argv[4] ?? 1000);
const kinds = (process.argv[5] ?? 'histogram,counter').split(',') as Array<'histogram' | 'counter' | 'summary'>;
// watchdog-nice0: the watchdog with watchdog.nice 0 (its thread at the loop's priority), to show what the default 10 does.
const VARIANTS = ['watchdog', 'watchdog-nice0', 'route'] as const;
const variants = (process.argv[6] ?? 'watchdog,route').split(',') as Array<(typeof VARIANTS)[number]>;
for (const variant of variants) {
  if (!VARIANTS.includes(variant)) throw new Error(`variants: ${VARIANTS.join(', ')} (comma-separated); got ${variant}`);
}
const IDLE_SECONDS = 3;
const WARM_UP_SECONDS = 12;
const cpu = lastCpuIfPinnable();

interface LoopCosts {
  maxMs: number;
  elu: number;
  gcMaxMs: number;
  gcTotalMs: number;
  snapshots: number;
  maxSliceMs: number;
  maxSliceCpuMs: number | null;
  maxSlices: number;
  maxElapsedMs: number;
  routeMaxMs: number;
  routeMaxCpuMs: number | null;
  processCpuMs: number;
  mainCpuMs: number | null;
}

interface Phase extends LoopCosts {
  cpuMs: number;
  scrapes: number;
  bytes: number;
  /** Snapshot ages the scrapes were answered with, in ms (watchdog only). */
  agesMs: number[];
}

async function loopStats(app: RunningApp): Promise<LoopCosts> {
  const response = await get(`${app.appUrl}/bench/loop`, 30_000);
  return JSON.parse(response.body ?? '{}') as LoopCosts;
}

async function phase(app: RunningApp, scrapeUrl: string | undefined, phaseSeconds: number): Promise<Phase> {
  const before = await loopStats(app);
  const scraper = scrapeUrl ? scrapeLoop(scrapeUrl, intervalMs, 30_000) : undefined;
  await sleep(phaseSeconds * 1000);
  const results = (await scraper?.stop()) ?? [];
  const stats = await loopStats(app);
  const failed = results.filter((r) => r.status !== 200);
  if (failed.length) throw new Error(`${failed.length} scrapes failed: ${failed[0]?.error ?? failed[0]?.status}`);
  const agesMs = results.flatMap((r) => {
    const age = /^runtime_watchdog_snapshot_age_seconds (\S+)$/m.exec(r.body ?? '')?.[1];
    return age === undefined ? [] : [Number(age) * 1000];
  });
  return {
    ...stats,
    cpuMs: stats.processCpuMs - before.processCpuMs,
    scrapes: results.length,
    bytes: Buffer.byteLength(results.at(-1)?.body ?? ''),
    agesMs,
  };
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
console.log(
  `snapshot cost: one extra metric of N label sets; warm-up ${WARM_UP_SECONDS} s, idle ${IDLE_SECONDS} s, then scraped every ${intervalMs} ms for ${seconds} s; app pinned to CPU ${cpu ?? '(none)'}; load average ${load()}`,
);
console.log(
  'kind       series  variant         MB/scrape  held max wall/CPU  GC max  gap max  idle gap   ELU  CPU/scrape  main CPU/scrape  snapshot (max elapsed, slices); age at scrape p50/max',
);
const started = Date.now();
for (const kind of kinds) {
  for (const size of sizes) {
    for (const variant of variants) {
      const options =
        variant === 'route'
          ? { watchdog: false as const, metricsRoute: true }
          : { watchdog: variant === 'watchdog' ? { port: 0 } : { port: 0, nice: 0 } };
      const app = await startApp(true, options, cpu, { bigSeries: size, bigKind: kind });
      try {
        // Past start-up (module loading, JIT, the fill's garbage) and V8's memory reducer, whose
        // first major GCs (8-9 s after start, 6-13 ms, measured in both variants alike) are V8's own.
        await sleep(WARM_UP_SECONDS * 1000);
        const idle = await phase(app, undefined, IDLE_SECONDS);
        const url = variant !== 'route' ? `${app.watchdogUrl}/metrics` : `${app.appUrl}/metrics`;
        const scraped = await phase(app, url, seconds);
        // CPU per second while idle, charged to the scraped phase's length.
        const perScrape = (scraped.cpuMs - (idle.cpuMs * seconds) / IDLE_SECONDS) / Math.max(1, scraped.scrapes);
        const [heldWall, heldCpu] =
          variant !== 'route' ? [scraped.maxSliceMs, scraped.maxSliceCpuMs] : [scraped.routeMaxMs, scraped.routeMaxCpuMs];
        const held = `${fmt(heldWall, 1)}/${fmt(heldCpu ?? Number.NaN, 1)}`;
        const snapshot =
          variant !== 'route'
            ? `${fmt(scraped.maxElapsedMs)} ms, ${scraped.maxSlices} slices (${scraped.snapshots} snapshots); age ${fmt(median(scraped.agesMs))}/${fmt(Math.max(...scraped.agesMs))} ms`
            : '-';
        console.log(
          `${kind.padEnd(10)} ${String(size).padStart(6)}  ${variant.padEnd(14)} ${fmt(scraped.bytes / 1e6, 2).padStart(9)}` +
            `  ${held.padStart(13)}  ${fmt(scraped.gcMaxMs, 1).padStart(6)}  ${fmt(scraped.maxMs, 1).padStart(7)}  ${fmt(idle.maxMs, 1).padStart(8)}` +
            `  ${fmt(scraped.elu, 2).padStart(4)}  ${fmt(perScrape, 1).padStart(10)}  ${fmt((scraped.mainCpuMs ?? Number.NaN) / Math.max(1, scraped.scrapes), 1).padStart(15)}  ${snapshot}`,
        );
      } finally {
        await app.stop();
      }
    }
  }
}
console.log(`(ms unless stated; ${((Date.now() - started) / 1000).toFixed(0)} s in all; load average now ${load()})`);
