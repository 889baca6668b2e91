import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry, Histogram, Gauge } from 'prom-client';
import { parseExposition, bucketsOf, histogramQuantile, sumOf, bucketsDelta } from '../src/exposition.js';

test('parses prom-client output: histogram buckets, gauges with escaped labels', async () => {
  const registry = new Registry();
  const h = new Histogram({ name: 't_seconds', help: 'x', buckets: [0.1, 1, 10], labelNames: ['route'], registers: [registry] });
  const g = new Gauge({ name: 't_gauge', help: 'y', labelNames: ['path'], registers: [registry] });
  h.observe({ route: 'a' }, 0.05);
  h.observe({ route: 'a' }, 0.5);
  h.observe({ route: 'b' }, 5);
  h.observe({ route: 'b' }, 50);
  g.set({ path: 'we"ird\\ one' }, 3);
  const families = parseExposition(await registry.metrics());
  assert.equal(families.get('t_seconds')?.type, 'histogram');
  assert.deepEqual(bucketsOf(families, 't_seconds'), [
    { le: 0.1, count: 1 },
    { le: 1, count: 2 },
    { le: 10, count: 3 },
    { le: Number.POSITIVE_INFINITY, count: 4 },
  ]);
  assert.deepEqual(bucketsOf(families, 't_seconds', { route: 'a' }).at(-1), { le: Number.POSITIVE_INFINITY, count: 2 });
  assert.equal(sumOf(families, 't_seconds_count'), 4);
  assert.equal(sumOf(families, 't_gauge', { path: 'we"ird\\ one' }), 3);
  assert.equal(sumOf(families, 'absent'), undefined);
});

test('histogramQuantile interpolates like Prometheus and handles empty and +Inf cases', () => {
  const buckets = [
    { le: 1, count: 50 },
    { le: 2, count: 100 },
    { le: Number.POSITIVE_INFINITY, count: 100 },
  ];
  assert.equal(histogramQuantile(0.5, buckets), 1);
  assert.equal(histogramQuantile(0.75, buckets), 1.5);
  assert.ok(
    Number.isNaN(
      histogramQuantile(0.5, [
        { le: 1, count: 0 },
        { le: Number.POSITIVE_INFINITY, count: 0 },
      ]),
    ),
  );
  assert.equal(
    histogramQuantile(0.99, [
      { le: 1, count: 0 },
      { le: Number.POSITIVE_INFINITY, count: 10 },
    ]),
    1,
  );
  assert.deepEqual(bucketsDelta([{ le: 1, count: 5 }], [{ le: 1, count: 2 }]), [{ le: 1, count: 3 }]);
});

test('skips malformed lines instead of throwing', () => {
  const families = parseExposition('# TYPE a gauge\na 1\nbroken{x="1" 2\nb{ 3\n# random comment\nc NaN\n');
  assert.equal(sumOf(families, 'a'), 1);
  assert.ok(Number.isNaN(sumOf(families, 'c') ?? 0));
});
