// Line charts drawn as static SVG on the server side. Why not a charting library: the report
// must open offline from a file, survive being mailed or printed, and render in any browser
// with scripts disabled; a few hundred lines of SVG do that with no dependency at all.

export interface ChartLine {
  label: string;
  color: string;
  values: (number | null)[];
  dashed?: boolean;
  /** A range per point (a histogram bucket), shaded; a null upper bound reaches the top of the plot. */
  band?: { lower: (number | null)[]; upper: (number | null)[] };
  /** The shading's legend entry; default "<label>: bucket range". */
  bandLabel?: string;
}

export interface ChartOptions {
  title: string;
  subtitle?: string;
  lines: ChartLine[];
  phases: { name: string; start: number; end: number }[];
  scale: 'log' | 'linear';
  /** Multiplier from stored values to displayed ones (1000 for seconds → ms). */
  factor?: number;
  unit: string;
  thresholds?: { value: number; label: string }[];
  width?: number;
  height?: number;
  yMin?: number;
  yMax?: number;
}

// Text is laid out by an estimate of its width: an 11 px sans-serif character averages under
// 6.2 px (SVG text does not wrap by itself).
const CHAR_PX = 6.2;
const LINE_PX = 13;

/** Words into lines of at most `maxChars` characters (a longer word gets a line of its own). */
export function wrapText(text: string, maxChars: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (current && current.length + 1 + word.length > maxChars) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  return lines;
}

interface LegendItem {
  label: string;
  color: string;
  /** A shaded band's entry (a pale square) rather than a line's (a bar). */
  band: boolean;
}

/** Every drawn line and every shaded band gets an entry; rows wrap at the plot's width. */
function legendRows(lines: ChartLine[], maxPx: number): LegendItem[][] {
  const items: LegendItem[] = [];
  for (const line of lines) {
    if (line.values.some((v) => v !== null)) items.push({ label: line.label, color: line.color, band: false });
    if (line.band?.lower.some((v) => v !== null))
      items.push({ label: line.bandLabel ?? `${line.label}: bucket range`, color: line.color, band: true });
  }
  const rows: LegendItem[][] = [[]];
  let used = 0;
  for (const item of items) {
    const px = 24 + item.label.length * CHAR_PX;
    const row = rows[rows.length - 1] as LegendItem[];
    if (row.length && used + px > maxPx) {
      rows.push([item]);
      used = px;
    } else {
      row.push(item);
      used += px;
    }
  }
  return rows.filter((r) => r.length);
}

const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (n: number): string => (Math.round(n * 10) / 10).toString();

function niceTicks(min: number, max: number, scale: 'log' | 'linear'): number[] {
  if (scale === 'log') {
    const ticks: number[] = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e += 1) ticks.push(10 ** e);
    return ticks.filter((t) => t >= min * 0.999 && t <= max * 1.001);
  }
  const span = max - min || 1;
  const step = 10 ** Math.floor(Math.log10(span / 4));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 6) ?? step * 10;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / nice) * nice; t <= max + 1e-9; t += nice) ticks.push(Number(t.toPrecision(6)));
  return ticks;
}

function tickLabel(value: number): string {
  if (value >= 1000) return `${num(value / 1000)}k`;
  if (value < 1 && value > 0) return value.toString();
  return num(value);
}

export function lineChart(options: ChartOptions): string {
  const width = options.width ?? 900;
  const textW = width - 56 - 16;
  const subtitle = options.subtitle ? wrapText(options.subtitle, Math.floor(textW / CHAR_PX)) : [];
  const legend = legendRows(options.lines, textW);
  // The plot keeps its height; a wrapped subtitle or legend adds rows above or below it.
  const extraTop = Math.max(0, subtitle.length - 1) * LINE_PX;
  const extraBottom = Math.max(0, legend.length - 1) * LINE_PX;
  const height = (options.height ?? 260) + extraTop + extraBottom;
  const pad = { left: 56, right: 16, top: 40 + extraTop, bottom: 42 + extraBottom };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const factor = options.factor ?? 1;
  const points = options.lines.flatMap((l) => l.values.filter((v): v is number => v !== null && Number.isFinite(v)).map((v) => v * factor));
  const thresholdValues = (options.thresholds ?? []).map((t) => t.value * factor);
  const all = [...points, ...thresholdValues];
  const xMax = Math.max(1, ...options.lines.map((l) => l.values.length), ...options.phases.map((p) => p.end));
  let yMin: number;
  let yMax: number;
  if (options.scale === 'log') {
    const positive = all.filter((v) => v > 0);
    yMin = options.yMin ?? 10 ** Math.floor(Math.log10(Math.max(1e-3, Math.min(...positive, 1))));
    yMax = options.yMax ?? 10 ** Math.ceil(Math.log10(Math.max(...positive, yMin * 10)));
  } else {
    yMin = options.yMin ?? 0;
    yMax = options.yMax ?? Math.max(1, ...all) * 1.1;
  }
  const x = (t: number): number => pad.left + (t / xMax) * plotW;
  const y = (v: number): number => {
    const clamped = Math.min(yMax, Math.max(yMin, v));
    const ratio =
      options.scale === 'log'
        ? (Math.log10(clamped) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))
        : (clamped - yMin) / (yMax - yMin);
    return pad.top + plotH - ratio * plotH;
  };
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(options.title)}" class="chart">`,
  );
  parts.push(`<text x="${pad.left}" y="18" class="chart-title">${esc(options.title)}</text>`);
  for (const [i, text] of subtitle.entries())
    parts.push(`<text x="${pad.left}" y="${32 + i * LINE_PX}" class="chart-sub">${esc(text)}</text>`);
  options.phases.forEach((p, i) => {
    const x0 = x(p.start);
    const x1 = x(p.end);
    parts.push(
      `<rect x="${num(x0)}" y="${pad.top}" width="${num(Math.max(0, x1 - x0))}" height="${plotH}" class="band band-${i % 2}"><title>${esc(p.name)}</title></rect>`,
    );
    parts.push(`<text x="${num(x0 + 4)}" y="${pad.top + 12}" class="band-label">${esc(p.name)}</text>`);
  });
  for (const tick of niceTicks(yMin, yMax, options.scale)) {
    parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${num(y(tick))}" y2="${num(y(tick))}" class="grid"/>`);
    parts.push(`<text x="${pad.left - 6}" y="${num(y(tick) + 4)}" class="tick" text-anchor="end">${tickLabel(tick)}</text>`);
  }
  for (const tick of niceTicks(0, xMax, 'linear')) {
    parts.push(`<text x="${num(x(tick))}" y="${height - pad.bottom + 16}" class="tick" text-anchor="middle">${tick}</text>`);
  }
  parts.push(
    `<text x="12" y="${pad.top + plotH / 2}" class="tick" transform="rotate(-90 12 ${pad.top + plotH / 2})" text-anchor="middle">${esc(options.unit)}</text>`,
  );
  for (const t of options.thresholds ?? []) {
    const ty = y(t.value * factor);
    parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${num(ty)}" y2="${num(ty)}" class="threshold"/>`);
    parts.push(`<text x="${width - pad.right - 4}" y="${num(ty - 4)}" class="threshold-label" text-anchor="end">${esc(t.label)}</text>`);
  }
  for (const line of options.lines) {
    if (line.band) parts.push(...bandRects(line, x, (v) => y(v * factor), pad.top, options.scale === 'log'));
  }
  for (const line of options.lines) {
    const segments: string[][] = [];
    let current: string[] = [];
    line.values.forEach((v, t) => {
      if (v === null || !Number.isFinite(v)) {
        if (current.length) segments.push(current);
        current = [];
        return;
      }
      // Each value describes second [t, t+1): drawn at the middle of its second.
      current.push(`${num(x(t + 0.5))},${num(y(v * factor))}`);
    });
    if (current.length) segments.push(current);
    for (const seg of segments) {
      if (seg.length === 1) {
        const [px, py] = (seg[0] as string).split(',');
        parts.push(`<circle cx="${px}" cy="${py}" r="2" fill="${line.color}"/>`);
      } else {
        parts.push(
          `<polyline points="${seg.join(' ')}" fill="none" stroke="${line.color}" stroke-width="2"${line.dashed ? ' stroke-dasharray="5 3"' : ''}><title>${esc(line.label)}</title></polyline>`,
        );
      }
    }
  }
  parts.push(`<rect x="${pad.left}" y="${pad.top}" width="${plotW}" height="${plotH}" class="frame"/>`);
  legend.forEach((row, r) => {
    let lx = pad.left;
    const ly = height - 8 - (legend.length - 1 - r) * LINE_PX;
    for (const item of row) {
      const swatch = item.band
        ? `y="${ly - 12}" height="10" fill="${item.color}" fill-opacity="0.15" stroke="${item.color}" stroke-opacity="0.4"`
        : `y="${ly - 9}" height="4" fill="${item.color}"`;
      parts.push(`<rect x="${num(lx)}" ${swatch} width="12"/>`);
      parts.push(`<text x="${num(lx + 16)}" y="${ly - 4}" class="legend">${esc(item.label)}</text>`);
      lx += 24 + item.label.length * CHAR_PX;
    }
  });
  parts.push('</svg>');
  return parts.join('');
}

/**
 * A shaded step per second between a line's lower and upper bounds (each value describes its
 * whole second). A lower bound of 0 ("at most") is left unshaded on a log scale, where it would
 * reach the bottom of the plot whatever the figure.
 */
function bandRects(line: ChartLine, x: (t: number) => number, y: (v: number) => number, top: number, log: boolean): string[] {
  const band = line.band as NonNullable<ChartLine['band']>;
  const out: string[] = [];
  band.lower.forEach((lo, t) => {
    const hi = band.upper[t];
    if (lo === null || lo === undefined || hi === undefined || (log && lo <= 0)) return;
    const y0 = hi === null ? top : y(hi);
    const y1 = y(lo);
    out.push(
      `<rect x="${num(x(t))}" y="${num(y0)}" width="${num(x(t + 1) - x(t))}" height="${num(Math.max(1, y1 - y0))}" fill="${line.color}" fill-opacity="0.15"/>`,
    );
  });
  return out;
}
