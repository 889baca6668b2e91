// Accuracy: blocks of 50, 200 and 1000 ms, 20 trials each at random phase, with two scrapers
// reading the app's /metrics at different intervals (prom-client resets its lag percentiles on
// every read, so the two split the window between them). For each block:
//  - ours: the stall-event histogram (runtime_eventloop_stall_duration_seconds) must gain exactly
//    one observation in the bucket holding the block's length and none above it (none lost, none
//    split). The loop-delay histogram is weighted by time and records a block as many grid
//    points on purpose; bench/time-weighted.js measures that one;
//  - prom-client: what each scraper's first reading after the block shows in
//    nodejs_eventloop_lag_p99_seconds / nodejs_eventloop_lag_max_seconds.
// Usage: node packages/telemetry/dist/bench/accuracy.js [trialsPerSize=20]
import { bucketsDelta, bucketsOf, parseExposition, sumOf, type Bucket } from '@runtime-lab/scrape';
import { fmt, get, median, nowMs, sleep, startApp, type GetResult } from './lib.js';

const trialsPerSize = Number(process.argv[2] ?? 20);
const sizesMs = [50, 200, 1000];
const SCRAPER_A_MS = 1000;
const SCRAPER_B_MS = 1700;
const METRIC = 'runtime_eventloop_stall_duration_seconds';
const OTHER_DELAY_S = 0.02;

interface Scrape extends GetResult {
  buckets: Bucket[];
  p99: number;
  max: number;
}

function toScrape(r: GetResult): Scrape {
  const families = parseExposition(r.body ?? '');
  return {
    ...r,
    buckets: bucketsOf(families, METRIC),
    p99: sumOf(families, 'nodejs_eventloop_lag_p99_seconds') ?? Number.NaN,
    max: sumOf(families, 'nodejs_eventloop_lag_max_seconds') ?? Number.NaN,
  };
}

/** A Prometheus-like scraper that keeps every result and lets the driver wait for the next one. */
class Scraper {
  readonly results: Scrape[] = [];
  #running = true;
  #waiters: Array<() => void> = [];
  readonly done: Promise<void>;
  constructor(url: string, intervalMs: number, phaseMs: number) {
    this.done = (async () => {
      await sleep(phaseMs);
      while (this.#running) {
        const started = nowMs();
        this.results.push(toScrape(await get(url, 10_000)));
        for (const wake of this.#waiters.splice(0)) wake();
        await sleep(Math.max(0, started + intervalMs - nowMs()));
      }
    })();
  }
  /** The first scrape sent at or after `afterMs`. */
  async firstSentAfter(afterMs: number): Promise<Scrape> {
    for (;;) {
      const found = this.results.find((r) => r.sentMs >= afterMs && r.status === 200);
      if (found) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
  async stop(): Promise<void> {
    this.#running = false;
    await this.done;
  }
}

function bucketHolding(ms: number, buckets: Bucket[]): number {
  return buckets.find((b) => b.le * 1000 >= ms)?.le ?? Number.POSITIVE_INFINITY;
}

const app = await startApp(true, { watchdog: false, metricsRoute: true });
const url = `${app.appUrl}/metrics`;
const a = new Scraper(url, SCRAPER_A_MS, 0);
const b = new Scraper(url, SCRAPER_B_MS, 350);
const results = new Map<
  number,
  { ok: number; lost: number; split: number; wrong: number; others: number; pa: number[]; pb: number[]; ma: number[]; mb: number[] }
>();
try {
  await sleep(2500);
  const order = sizesMs.flatMap((ms) => Array.from({ length: trialsPerSize }, () => ms)).sort(() => Math.random() - 0.5);
  for (const [i, blockMs] of order.entries()) {
    // A reading just before the block (from scraper A), then the block at a random phase.
    const before = await a.firstSentAfter(nowMs());
    await sleep(Math.random() * 1000);
    const block = await get(`${app.appUrl}/block?ms=${blockMs}`, blockMs + 10_000);
    const { endedMs } = JSON.parse(block.body ?? '{}') as { endedMs: number };
    // Let the sampling timer fire after the block, then take each scraper's next reading.
    const [afterA, afterB] = await Promise.all([a.firstSentAfter(endedMs + 20), b.firstSentAfter(endedMs + 20)]);
    const delta = bucketsDelta(afterA.buckets, before.buckets);
    const total = delta.at(-1)?.count ?? 0;
    const upTo = (le: number): number => delta.find((d) => d.le === le)?.count ?? 0;
    const bucket = bucketHolding(blockMs, delta);
    const lower = delta[delta.findIndex((d) => d.le === bucket) - 1]?.le ?? 0;
    const inBucket = upTo(bucket) - upTo(lower);
    const above = total - upTo(bucket);
    // Other delays over 20 ms in the same window: not the block (the machine is shared, and
    // scrapes queued behind the block run right after it), reported, not hidden.
    const others = upTo(lower) - upTo(OTHER_DELAY_S);
    const r = results.get(blockMs) ?? { ok: 0, lost: 0, split: 0, wrong: 0, others: 0, pa: [], pb: [], ma: [], mb: [] };
    if (process.env.ACCURACY_DEBUG && (inBucket !== 1 || above || others)) {
      console.log(blockMs, JSON.stringify(delta.filter((d, i) => d.count !== (delta[i - 1]?.count ?? 0))));
    }
    if (inBucket === 1 && above === 0) r.ok += 1;
    else if (inBucket === 0 && above === 0 && others === 0) r.lost += 1;
    else if (inBucket === 0 && above === 0 && others >= 2) r.split += 1;
    else r.wrong += 1;
    r.others += others;
    r.pa.push(afterA.p99 * 1000);
    r.pb.push(afterB.p99 * 1000);
    r.ma.push(afterA.max * 1000);
    r.mb.push(afterB.max * 1000);
    results.set(blockMs, r);
    if ((i + 1) % 10 === 0) console.log(`${i + 1}/${order.length} blocks done`);
    // Wait for the next A reading to be taken after this trial's one, so trials do not overlap.
    await a.firstSentAfter(afterA.sentMs + 1);
  }
} finally {
  await Promise.all([a.stop(), b.stop()]);
  await app.stop();
}

const seen = (values: number[], blockMs: number): string => `${values.filter((v) => v >= blockMs * 0.5).length}/${values.length}`;
console.log(
  `\nAccuracy: ${trialsPerSize} blocks of each size at random phase; two scrapers every ${SCRAPER_A_MS} and ${SCRAPER_B_MS} ms on /metrics`,
);
console.log(
  'block | runtime_eventloop_stall_duration_seconds: right bucket / lost / split / wrong bucket (other delays > 20 ms seen) | ' +
    'prom-client nodejs_eventloop_lag_p99 >= D/2 (scraper A, B) | p99 median ms (A, B) | nodejs_eventloop_lag_max >= D/2 (A, B) | max median ms (A, B)',
);
for (const blockMs of sizesMs) {
  const r = results.get(blockMs);
  if (!r) continue;
  console.log(
    `${String(blockMs).padStart(4)} ms | ${r.ok} / ${r.lost} / ${r.split} / ${r.wrong} (${r.others}) | ` +
      `${seen(r.pa, blockMs)}, ${seen(r.pb, blockMs)} | ${fmt(median(r.pa))}, ${fmt(median(r.pb))} | ` +
      `${seen(r.ma, blockMs)}, ${seen(r.mb, blockMs)} | ${fmt(median(r.ma))}, ${fmt(median(r.mb))}`,
  );
}
