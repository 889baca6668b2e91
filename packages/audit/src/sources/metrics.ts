// --metrics: scrape one or more endpoints (normally the watchdog ports, which answer during
// stalls) at a fixed interval for a fixed duration, then judge the series computed from them.

import { checkDuration } from '../span.js';
import { type Families, type ScrapeAttempt, ScrapeSchedule } from '@runtime-lab/scrape';
import { formatDuration } from '../duration.js';
import { AuditError } from '../errors.js';
import type { Series } from '../evaluate.js';
import type { SourceInfo } from '../report.js';
import { heldByFromScrapes } from '../attribution.js';
import { RULE_IDS, RULE_METRICS } from '../rules.js';
import { type Attempt, seriesFromScrapes } from '../scrape-points.js';
import type { Thresholds } from '../thresholds.js';

export interface MetricsSourceOptions {
  urls: string[];
  durationSeconds: number;
  intervalSeconds: number;
}

function noRuntimeMetrics(url: string): AuditError {
  return new AuditError(
    'LAB_AUDIT_NO_DATA',
    `${url} serves none of the runtime_* metrics the rules read; point --metrics at a service's watchdog port, e.g. http://127.0.0.1:9464/metrics`,
  );
}

// fetch refuses ports on the Fetch standard's block list (1, 9, 6000, ...) with a bare "bad port".
export function explainBadPort(message: string): string {
  return message.endsWith('bad port')
    ? `${message} (fetch refuses this port: it is on the Fetch standard's list of blocked ports)`
    : message;
}

// A timeout is a finding (a scrape gap); anything else on the first scrape means the URL is wrong.
function isTimeout(message: string): boolean {
  return /timeout|timed out|aborted/i.test(message);
}

// Stamped with the time the scrape started, as Prometheus does: the target computes its values
// right after the request arrives, while the response may take a while to come back.
function asAttempt(scraped: ScrapeAttempt): Attempt {
  return scraped.families
    ? { atMs: scraped.startedAtMs, dueMs: scraped.dueMs, families: scraped.families }
    : { atMs: scraped.startedAtMs, dueMs: scraped.dueMs, error: scraped.error ?? 'no answer' };
}

/**
 * Scrapes every URL `count` times on one grid (due at startMs + k x intervalMs); once each URL's
 * first scrape is in, `checkFirst` may reject the URLs by throwing, which stops the scraping.
 */
async function scrapeAll(
  urls: string[],
  options: { startMs: number; intervalMs: number; timeoutMs: number; count: number },
  checkFirst: (first: Attempt[]) => void,
): Promise<Attempt[][]> {
  const history = urls.map((): Attempt[] => []);
  const firsts: Array<Attempt | undefined> = urls.map(() => undefined);
  let firstRound: () => void = () => {};
  const firstDone = new Promise<void>((resolve) => {
    firstRound = resolve;
  });
  const schedules = urls.map(
    (url, i) =>
      new ScrapeSchedule({
        url,
        intervalMs: options.intervalMs,
        timeoutMs: options.timeoutMs,
        count: options.count,
        // A slow scrape makes the next one late, never a gap: every tick of --duration is scraped.
        whenBusy: 'wait',
        onAttempt: (scraped) => {
          const attempt = asAttempt(scraped);
          history[i]?.push(attempt);
          if (scraped.index === 0) firsts[i] = attempt;
          if (firsts.every((first) => first !== undefined)) firstRound();
        },
      }),
  );
  for (const schedule of schedules) schedule.start(options.startMs);
  try {
    await firstDone;
    checkFirst(firsts as Attempt[]);
    await Promise.all(schedules.map((schedule) => schedule.finished));
  } finally {
    await Promise.all(schedules.map((schedule) => schedule.stop(false)));
  }
  // In schedule order: a skipped scrape is recorded before the slow one it was skipped for.
  return history.map((attempts) => attempts.sort((a, b) => (a.dueMs ?? a.atMs) - (b.dueMs ?? b.atMs)));
}

export async function sampleMetrics(
  options: MetricsSourceOptions,
  thresholds: Thresholds,
): Promise<{ series: Series[]; source: SourceInfo; history: Map<string, Attempt[]> }> {
  const { urls, durationSeconds, intervalSeconds } = options;
  // Shorter than this, no finding could ever be raised (and without half the range of scrapes,
  // ELU, concurrency and the threadpool canary would silently have no data).
  checkDuration(thresholds, durationSeconds, intervalSeconds);
  // Below the interval, so a slow scrape never overlaps the next one.
  const timeoutMs = Math.max(100, Math.round(intervalSeconds * 900));
  const ticks = Math.max(1, Math.floor(durationSeconds / intervalSeconds) + 1);
  const startMs = Date.now();
  const scraped = await scrapeAll(urls, { startMs, intervalMs: intervalSeconds * 1000, timeoutMs, count: ticks }, (first) => {
    first.forEach((result, i) => {
      const url = urls[i] as string;
      if (result.error && !isTimeout(result.error)) throw new AuditError('LAB_AUDIT_CONNECTION', explainBadPort(result.error));
      // Known at the first answer: sampling a wrong endpoint for the whole duration helps nobody.
      if (result.families && !RULE_METRICS.some((name) => result.families?.has(name))) throw noRuntimeMetrics(url);
    });
  });
  const history = new Map<string, Attempt[]>(urls.map((url, i) => [url, scraped[i] ?? []]));
  const endMs = Date.now();

  const series: Series[] = [];
  for (const [url, attempts] of history) {
    if (!attempts.some((a) => a.families)) {
      const last = attempts[attempts.length - 1]?.error ?? 'no answer';
      throw new AuditError(
        'LAB_AUDIT_CONNECTION',
        `no successful scrape of ${url} in ${formatDuration(durationSeconds)} (last error: ${last})`,
      );
    }
    const mine: Series[] = [];
    for (const rule of RULE_IDS) {
      if (!thresholds.rules[rule].enabled) continue;
      mine.push(...seriesFromScrapes(rule, attempts, thresholds.rangeSeconds, intervalSeconds, { instance: url }));
    }
    if (!mine.some((s) => s.rule !== 'scrape_gaps' && s.points.length > 0)) throw noRuntimeMetrics(url);
    const answered = attempts.flatMap((a) => (a.families ? [a.families] : []));
    const heldBy = answered.length > 1 ? heldByFromScrapes(answered[0] as Families, answered[answered.length - 1] as Families) : undefined;
    for (const s of mine) if (heldBy && s.rule === 'event_loop_starvation') s.heldBy = heldBy;
    series.push(...mine);
  }
  const scrapes = history.get(urls[0] as string)?.length ?? 0;
  return {
    series,
    history,
    source: {
      kind: 'metrics',
      urls,
      detail: `${scrapes} scrapes over ${formatDuration(Math.round((endMs - startMs) / 1000))}, every ${formatDuration(intervalSeconds)}, range ${formatDuration(thresholds.rangeSeconds)}`,
      startMs,
      endMs,
    },
  };
}
