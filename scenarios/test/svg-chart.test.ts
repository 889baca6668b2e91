// The SVG charts' text layout: subtitles wrap inside the chart, every shaded band has a legend
// entry, legend rows wrap instead of running off the right edge.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ChartOptions, lineChart, wrapText } from '../src/report/svg-chart.js';

const LONG =
  'The gap between the red lines (what clients wait: warm on kept-alive sockets, dark red on new connections) and the green one (what the server thinks it took) is the lesson.';

function chart(): ChartOptions {
  const values = [0.001, 0.002, 0.05, 0.4, 0.003];
  return {
    title: 'Client-side P99',
    subtitle: LONG,
    lines: [
      { label: 'warm probe P99', color: '#d62728', values, band: { lower: values.map((v) => v / 2), upper: values } },
      { label: 'cold probe P99', color: '#8b0000', values },
      { label: 'ramp P99', color: '#ff7f0e', values },
      { label: 'pressure P99 with a rather long label', color: '#9467bd', values },
      {
        label: 'server-side P99 (what the server thinks it took)',
        color: '#2ca02c',
        values,
        band: { lower: values, upper: values.map((v) => v * 2) },
        bandLabel: 'server bucket',
      },
    ],
    phases: [{ name: 'p', start: 0, end: 5 }],
    scale: 'log',
    factor: 1000,
    unit: 'ms',
  };
}

const texts = (svg: string, cls: string): string[] =>
  [...svg.matchAll(new RegExp(`<text x="([\\d.]+)"[^>]*class="${cls}">([^<]*)</text>`, 'g'))].map((m) => `${m[1]}|${m[2]}`);

test('wrapText keeps words whole and lines within the limit', () => {
  const lines = wrapText(LONG, 60);
  assert.ok(lines.length >= 3);
  assert.equal(lines.join(' '), LONG);
  for (const line of lines) assert.ok(line.length <= 60, line);
});

test('a long subtitle wraps inside the chart width, and the whole subtitle is there', () => {
  const svg = lineChart(chart());
  const lines = texts(svg, 'chart-sub');
  assert.ok(lines.length >= 2, 'wrapped');
  assert.equal(lines.map((l) => l.split('|')[1]).join(' '), LONG.replace(/&/g, '&amp;'));
  for (const line of lines) {
    const [x, text] = line.split('|') as [string, string];
    assert.ok(Number(x) + text.length * 6.2 <= 900, `fits: ${text}`);
  }
});

test('every shaded band has a legend entry, and legend rows stay inside the chart', () => {
  const svg = lineChart(chart());
  const legend = texts(svg, 'legend');
  const labels = legend.map((l) => l.split('|')[1]);
  assert.ok(labels.includes('warm probe P99: bucket range'), labels.join(', '));
  assert.ok(labels.includes('server bucket'), labels.join(', '));
  for (const label of ['warm probe P99', 'cold probe P99', 'ramp P99']) assert.ok(labels.includes(label), label);
  for (const entry of legend) {
    const [x, text] = entry.split('|') as [string, string];
    assert.ok(Number(x) + text.length * 6.2 <= 900, `fits: ${text}`);
  }
  // The height grows with the extra rows, so nothing overlaps the plot.
  const height = Number(svg.match(/viewBox="0 0 900 ([\d.]+)"/)?.[1]);
  assert.ok(height > 260, `taller than the default: ${height}`);
});
