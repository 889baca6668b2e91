// "What held the loop" in the event-loop starvation finding: the per-frame increase of the
// telemetry's attribution counters over the window, and how every format shows it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseExposition } from '@runtime-lab/scrape';
import { heldByFromScrapes } from '../src/attribution.js';
import { buildReport, formatJson, formatJunit, formatText, parseThresholds, type Series } from '../src/index.js';
import { ROOT } from './helpers.js';

const counters = (frames: Record<string, [number, number]>) =>
  parseExposition(
    Object.entries(frames)
      .map(([frame, [stalls, seconds]]) =>
        [
          `runtime_eventloop_attributed_stalls_total{frame="${frame}"} ${stalls}`,
          `runtime_eventloop_attributed_stall_seconds_total{frame="${frame}"} ${seconds}`,
        ].join('\n'),
      )
      .join('\n'),
  );

test('the frame with the most stalled seconds in the window, not since the process started', () => {
  const first = counters({ 'old (a.ts:1)': [50, 40], 'spinCpu (b.ts:2)': [1, 0.5] });
  const last = counters({ 'old (a.ts:1)': [51, 40.6], 'spinCpu (b.ts:2)': [9, 7.5], 'fresh (c.ts:3)': [2, 1] });
  assert.deepEqual(heldByFromScrapes(first, last), { frame: 'spinCpu (b.ts:2)', stalledSeconds: 7, stalls: 8 });
  assert.equal(heldByFromScrapes(first, first), undefined, 'no stall in the window: nothing named');
  assert.equal(heldByFromScrapes(parseExposition(''), parseExposition('')), undefined, 'a service without attribution');
  // A restart (counter lower than before): the later value is all that is known.
  assert.deepEqual(heldByFromScrapes(last, counters({ 'spinCpu (b.ts:2)': [3, 2] })), {
    frame: 'spinCpu (b.ts:2)',
    stalledSeconds: 2,
    stalls: 3,
  });
});

test('text, JSON and JUnit name the frame in the starvation finding', () => {
  const thresholds = parseThresholds(readFileSync(join(ROOT, 'prometheus/thresholds.yml'), 'utf8'), 'thresholds.yml');
  const series: Series = {
    rule: 'event_loop_starvation',
    labels: { job: 'api', instance: 'api:9464' },
    points: [0.9, 0.9, 0.9, 0.9, 0.9].map((v, i) => ({ t: i * 2, v })),
    query: 'q',
    stepSeconds: 2,
    heldBy: { frame: 'spinCpu (services/api/src/faults/blocking-work.ts:36)', stalledSeconds: 8.14, stalls: 13 },
  };
  const report = buildReport(
    [series],
    thresholds,
    { kind: 'prometheus', urls: ['http://p'], detail: 'd', startMs: 0, endMs: 10_000 },
    'critical',
  );
  const named = 'spinCpu (services/api/src/faults/blocking-work.ts:36) held it 8.1s in 13 stalls';
  assert.match(formatText(report), new RegExp(`evidence .*; ${named.replace(/[()]/g, '\\$&')}\n`));
  const json = JSON.parse(formatJson(report)) as { findings: Array<{ heldBy: unknown; evidence: string }> };
  assert.deepEqual(json.findings[0]?.heldBy, series.heldBy);
  assert.ok(json.findings[0]?.evidence.endsWith(named));
  assert.match(formatJunit(report), /held it 8\.1s in 13 stalls/);
});
