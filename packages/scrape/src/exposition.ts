// Reading the Prometheus text exposition format: what the runner and the auditor use to
// sample a service's watchdog port directly, without a Prometheus server in between.
// Kept next to the plugin that writes the format so every consumer parses it one way.

export interface Sample {
  /** Full sample name, e.g. `runtime_eventloop_delay_seconds_bucket`. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

export type Families = Map<string, MetricFamily>;

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count', '_created'];
const SUMMARY_SUFFIXES = ['_sum', '_count', '_created'];

function parseValue(raw: string): number {
  switch (raw) {
    case '+Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
    case 'NaN':
      return Number.NaN;
    default:
      return Number(raw);
  }
}

function unescapeLabel(value: string): string {
  return value.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** Parses `name{a="b",c="d"} value [timestamp]`; returns undefined for a malformed line. */
function parseSampleLine(line: string): Sample | undefined {
  const brace = line.indexOf('{');
  const firstSpace = line.indexOf(' ');
  let name: string;
  const labels: Record<string, string> = {};
  let rest: string;
  if (brace !== -1 && (firstSpace === -1 || brace < firstSpace)) {
    name = line.slice(0, brace);
    let i = brace + 1;
    while (i < line.length && line[i] !== '}') {
      const eq = line.indexOf('=', i);
      if (eq === -1 || line[eq + 1] !== '"') return undefined;
      const key = line.slice(i, eq).trim();
      let j = eq + 2;
      let value = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\') {
          value += line.slice(j, j + 2);
          j += 2;
        } else {
          value += line[j];
          j += 1;
        }
      }
      labels[key] = unescapeLabel(value);
      i = j + 1;
      if (line[i] === ',') i += 1;
    }
    rest = line.slice(i + 1).trim();
  } else {
    if (firstSpace === -1) return undefined;
    name = line.slice(0, firstSpace);
    rest = line.slice(firstSpace + 1).trim();
  }
  const valueText = rest.split(/\s+/)[0];
  if (!name || valueText === undefined || valueText === '') return undefined;
  const value = parseValue(valueText);
  if (Number.isNaN(value) && valueText !== 'NaN') return undefined;
  return { name, labels, value };
}

function familyNameFor(sampleName: string, families: Families): string {
  if (families.has(sampleName)) return sampleName;
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (!sampleName.endsWith(suffix)) continue;
    const base = sampleName.slice(0, -suffix.length);
    const family = families.get(base);
    if (family?.type === 'histogram') return base;
    if (family?.type === 'summary' && SUMMARY_SUFFIXES.includes(suffix)) return base;
  }
  return sampleName;
}

/** Parses a text exposition into metric families keyed by family name. Malformed lines are skipped. */
export function parseExposition(text: string): Families {
  const families: Families = new Map();
  const ensure = (name: string): MetricFamily => {
    let family = families.get(name);
    if (!family) {
      family = { name, type: 'untyped', help: '', samples: [] };
      families.set(name, family);
    }
    return family;
  };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const match = /^#\s+(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(line);
      if (!match) continue;
      const [, kind, name, rest] = match as unknown as [string, string, string, string];
      const family = ensure(name);
      if (kind === 'HELP') family.help = rest;
      else if (['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) {
        family.type = rest as MetricFamily['type'];
      }
      continue;
    }
    const sample = parseSampleLine(line);
    if (!sample) continue;
    ensure(familyNameFor(sample.name, families)).samples.push(sample);
  }
  return families;
}

function labelsMatch(labels: Record<string, string>, match: Record<string, string> | undefined): boolean {
  if (!match) return true;
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}

/** Samples with exactly this sample name (e.g. `x_bucket`) whose labels include `match`. */
export function samplesOf(families: Families, sampleName: string, match?: Record<string, string>): Sample[] {
  const family = families.get(familyNameFor(sampleName, families));
  if (!family) return [];
  return family.samples.filter((s) => s.name === sampleName && labelsMatch(s.labels, match));
}

/** Sum of the values of matching samples, or undefined when there is none. */
export function sumOf(families: Families, sampleName: string, match?: Record<string, string>): number | undefined {
  const samples = samplesOf(families, sampleName, match);
  if (samples.length === 0) return undefined;
  return samples.reduce((acc, s) => acc + s.value, 0);
}

export interface Bucket {
  /** Upper bound in the metric's unit; +Infinity for the last bucket. */
  le: number;
  /** Cumulative count of observations <= le. */
  count: number;
}

/**
 * Cumulative buckets of a histogram, summed over every series whose labels include `match`
 * (aggregating like `sum by (le)`), sorted by bound.
 */
export function bucketsOf(families: Families, histogramName: string, match?: Record<string, string>): Bucket[] {
  const byLe = new Map<number, number>();
  for (const s of samplesOf(families, `${histogramName}_bucket`, match)) {
    const le = parseValue(s.labels.le ?? '');
    if (Number.isNaN(le)) continue;
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return [...byLe.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/** Per-bucket increase between two cumulative snapshots of the same histogram (counter resets give 0). */
export function bucketsDelta(later: Bucket[], earlier: Bucket[]): Bucket[] {
  const before = new Map(earlier.map((b) => [b.le, b.count]));
  return later.map((b) => ({ le: b.le, count: Math.max(0, b.count - (before.get(b.le) ?? 0)) }));
}

/**
 * The q-quantile of cumulative buckets, interpolated linearly inside the bucket as
 * Prometheus's histogram_quantile does. NaN when there are no observations; the highest
 * finite bound when the quantile falls in the +Inf bucket.
 */
export function histogramQuantile(q: number, buckets: Bucket[]): number {
  if (buckets.length === 0) return Number.NaN;
  const total = buckets[buckets.length - 1]?.count ?? 0;
  if (total <= 0) return Number.NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Number.POSITIVE_INFINITY) return prevLe;
      if (b.count === prevCount) return b.le;
      return prevLe + ((b.le - prevLe) * (rank - prevCount)) / (b.count - prevCount);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

export interface ScrapeResult {
  families: Families;
  /** Epoch milliseconds when the response was complete. */
  fetchedAtMs: number;
  durationMs: number;
}

/** GETs a metrics endpoint and parses it. Rejects with a one-line message on timeout, HTTP error or refusal. */
export async function scrapeMetrics(url: string, timeoutMs = 1000): Promise<ScrapeResult> {
  const started = performance.now();
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    throw new Error(`could not scrape ${url}: ${cause}`);
  }
  if (!response.ok) throw new Error(`could not scrape ${url}: HTTP ${response.status}`);
  const text = await response.text();
  return { families: parseExposition(text), fetchedAtMs: Date.now(), durationMs: performance.now() - started };
}
