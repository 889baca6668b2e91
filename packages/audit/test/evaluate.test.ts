// The verdict logic on hand-made series: runs, `for:`, NaN and gaps, and the --metrics twins of
// the PromQL expressions on hand-made scrapes.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseExposition } from '@runtime-lab/scrape';
import { type Attempt, evaluateSeries, formatValue, loadThresholds, longestRun, type Point, type Series, seriesFromScrapes } from '../src/index.js';
import { ROOT } from './helpers.js';

const thresholds = loadThresholds(join(ROOT, 'prometheus/thresholds.yml'));
const pts = (values: number[], step = 2, start = 1000): Point[] => values.map((v, i) => ({ t: start + i * step, v }));
const series = (rule: Series['rule'], points: Point[], stepSeconds = 2): Series => ({ rule, labels: { instance: 'x' }, points, query: 'q', stepSeconds });

test('longestRun finds the longest contiguous stretch at or above the threshold', () => {
  assert.deepEqual(longestRun(pts([0, 1, 1, 0, 1, 1, 1, 0]), 1, 2), { start: 1008, end: 1012 });
  assert.equal(longestRun(pts([0, 0.5]), 1, 2), undefined);
  // NaN (no value at that step) breaks a run; so does a gap of more than two steps.
  assert.deepEqual(longestRun(pts([1, Number.NaN, 1]), 1, 2), { start: 1000, end: 1000 });
  assert.deepEqual(longestRun([{ t: 0, v: 1 }, { t: 2, v: 1 }, { t: 10, v: 1 }], 1, 2), { start: 0, end: 2 });
});

test('a level counts only when held for `for:`; critical wins over degraded', () => {
  // elu_saturation: degraded 0.8, critical 0.95, for 4s; points every 2 s.
  const brief = evaluateSeries(series('elu_saturation', pts([0.2, 0.99, 0.99, 0.2])), thresholds);
  assert.equal(brief.status, 'healthy', 'held 2s < for 4s');
  assert.equal(brief.peak, 0.99);
  const held = evaluateSeries(series('elu_saturation', pts([0.2, 0.85, 0.99, 0.99, 0.99, 0.85, 0.2])), thresholds);
  assert.equal(held.status, 'critical');
  assert.equal(held.threshold, 0.95);
  assert.equal(held.heldSeconds, 4);
  const degraded = evaluateSeries(series('elu_saturation', pts([0.85, 0.9, 0.99, 0.9, 0.85])), thresholds);
  assert.equal(degraded.status, 'degraded', 'critical only for 0s, degraded for 8s');
  assert.equal(degraded.heldSeconds, 8);
  assert.deepEqual(degraded.reached, { level: 'critical', threshold: 0.95, heldSeconds: 0 });
  assert.equal(held.reached, undefined);
  assert.deepEqual(brief.reached, { level: 'degraded', threshold: 0.8, heldSeconds: 2 });
  // event_loop_starvation has for: 6s: four points 2 s apart, not three.
  assert.equal(evaluateSeries(series('event_loop_starvation', pts([0.6, 0.6, 0.6, 0.6])), thresholds).status, 'critical');
  assert.equal(evaluateSeries(series('event_loop_starvation', pts([0.6, 0.6, 0.6, 0.01])), thresholds).status, 'healthy');
  const empty = evaluateSeries(series('backlog_growth', pts([Number.NaN, Number.NaN])), thresholds);
  assert.equal(empty.peak, undefined);
  assert.equal(empty.status, 'healthy');
});

test('values read like the alerts: ms/s, percentages, tasks, calls', () => {
  assert.equal(formatValue('seconds', 0.8123), '812ms');
  assert.equal(formatValue('seconds', 1.25), '1.25s');
  assert.equal(formatValue('ratio', 0.973), '97.3%');
  assert.equal(formatValue('tasks_per_worker', 5), '5 tasks/worker');
  assert.equal(formatValue('calls', 240), '240 calls');
});

function scrape(atMs: number, text: string): Attempt {
  return { atMs, families: parseExposition(text) };
}

test('--metrics twins: rate from counters, reset-safe; canary mean from _sum/_count deltas; gaps', () => {
  const attempts: Attempt[] = [
    scrape(0, 'runtime_eventloop_active_seconds_total 10\n'),
    // Less than a second after the first: too short a span for a rate.
    scrape(500, 'runtime_eventloop_active_seconds_total 10.1\n'),
    scrape(1000, 'runtime_eventloop_active_seconds_total 10.5\n'),
    scrape(2000, 'runtime_eventloop_active_seconds_total 11.4\n'),
    // A restart: the counter starts over; no point rather than a negative rate.
    scrape(3000, 'runtime_eventloop_active_seconds_total 0.2\n'),
  ];
  const [elu] = seriesFromScrapes('elu_saturation', attempts, 2, 1, { instance: 'x' });
  assert.deepEqual(elu?.points.map((p) => Number(p.v.toFixed(3))), [0.5, 0.7]);
  // A watchdog snapshot 0.5 s old describes the moment 0.5 s before the scrape: 1 s of activity
  // between snapshots taken 1 s apart is 100%, not the 200% the scrape times would suggest.
  const snap = (active: number, age: number): string => `runtime_eventloop_active_seconds_total ${active}\nruntime_watchdog_snapshot_age_seconds ${age}\n`;
  const [stalled] = seriesFromScrapes('elu_saturation', [scrape(0, snap(5, 0.1)), scrape(1500, snap(6, 0.6)), scrape(2500, snap(6.9, 0.1))], 2, 1, {});
  assert.deepEqual(stalled?.points.map((p) => Number(p.v.toFixed(3))), [1, 0.6]);
  // With a 10 s range a rate needs 5 s of span: none of these points qualifies.
  assert.deepEqual(seriesFromScrapes('elu_saturation', attempts, 10, 1, {}), []);

  const canary = (sum: number, count: number, pending: number, loop: number, active: number): string =>
    `runtime_threadpool_canary_seconds_sum ${sum}\nruntime_threadpool_canary_seconds_count ${count}\nruntime_threadpool_canary_pending_seconds ${pending}\nruntime_eventloop_delay_max_seconds ${loop}\nruntime_eventloop_active_seconds_total ${active}\n`;
  // Ten new canaries of 300 ms each next to one 400 ms hiccup on a loop busy 10% of the time:
  // the loop's share is 40 ms. Then nothing finishes but one canary pends for 1.5 s.
  const tp = seriesFromScrapes('threadpool_starvation', [scrape(0, canary(1, 5, 0, 0.4, 0)), scrape(1000, canary(4, 15, 0, 0.4, 0.1)), scrape(2000, canary(4, 15, 1.5, 0.4, 0.2))], 2, 1, {});
  // The first point has no span for a mean or an ELU: the pending gauge (0) undiscounted.
  assert.deepEqual(tp[0]?.points.map((p) => Number(p.v.toFixed(4))), [0, 0.26, 1.46]);
  const gaps = seriesFromScrapes('scrape_gaps', [scrape(0, 'x 1\n'), { atMs: 1000, error: 'timeout' }, { atMs: 2000, error: 'timeout' }, scrape(3000, 'x 1\n')], 2, 1, {});
  assert.deepEqual(gaps[0]?.points.map((p) => Number(p.v.toFixed(3))), [0, 0.5, 0.667, 0.667]);
  // Older attempts fall out of the range of *_over_time twins.
  const age = (v: number): string => `runtime_watchdog_snapshot_age_seconds ${v}\n`;
  assert.deepEqual(seriesFromScrapes('stale_snapshot', [scrape(0, age(5)), scrape(1000, age(0.1)), scrape(5000, age(0.2))], 2, 1, {})[0]?.points.map((p) => p.v), [5, 5, 0.2]);
  // Starvation reads the latest scrape only (instant, like its PromQL); a failed scrape gives no point.
  const loop = (v: number): string => `runtime_eventloop_delay_max_seconds ${v}\nruntime_eventloop_stall_seconds 0.001\n`;
  const starvation = seriesFromScrapes('event_loop_starvation', [scrape(0, loop(0.9)), scrape(1000, loop(0.01)), { atMs: 2000, error: 'timeout' }], 10, 1, {});
  assert.deepEqual(starvation[0]?.points.map((p) => [p.t, p.v]), [[0, 0.9], [1, 0.01]]);
});
