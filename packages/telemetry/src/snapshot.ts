// The registry snapshot the watchdog serves, written on the main thread (the registry lives
// there) in slices, yielding to the event loop whenever a slice has run for sliceMs.
// registry.metrics() collects and formats every metric in one synchronous run once its
// collect() promises settle, so a large registry stalled the loop for the whole of it
// (measured: 0.6-2 s for one histogram with 20 000 label sets, docs/measurement.md).
//
// Counters, gauges, plain histograms and summaries are written here, label set by label set, from
// prom-client's series map (their get() builds every label set's values in one run); anything
// else (custom metric classes, histograms with exemplars) goes through prom-client's per-metric writer
// (getSingleMetricAsString) in one run. The series map is not public API: a metric is written
// here only when it still uses prom-client's own get() and the shape this file reads, and only
// when a one-time check on a small registry gives byte for byte what registry.metrics() gives
// with the prom-client installed (otherwise every metric goes through prom-client's writer).
//
// The text goes out as UTF-8 chunks (Uint8Array, each on its own ArrayBuffer, so the caller can
// transfer them to another thread without a copy) as soon as each is full: no string of the
// whole registry is ever built. Text repeated on every line of a label set is encoded once and
// copied as bytes, integers are written as digits, and no number is turned into a string through
// V8's number-string cache (which moved megabytes per snapshot into the old generation: a
// mark-compact pause every few scrapes), so what little garbage a snapshot makes dies young.
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';

/** Resolves in the check phase of the event loop (setImmediate): after the timers and I/O of this turn. */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type LabelValues = Record<string, string | number>;

/** The part of prom-client 15's Histogram this writer reads. */
interface HistogramInternals {
  name: string;
  help: string;
  type: 'histogram';
  upperBounds: number[];
  enableExemplars: boolean;
  hashMap: Record<string, { labels: LabelValues; bucketValues: Record<number, number>; sum: number; count: number }>;
  collect?: () => unknown;
}

/** The part of prom-client 15's Counter and Gauge this writer reads: one value per label set. */
interface ValueInternals {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  hashMap: Record<string, { labels?: LabelValues; value: number }>;
  collect?: () => unknown;
}

/** The part of prom-client 15's Summary this writer reads: a time-window t-digest per label set. */
interface SummaryInternals {
  name: string;
  help: string;
  type: 'summary';
  percentiles: number[];
  pruneAgedBuckets?: boolean;
  hashMap: Record<
    string,
    { labels: LabelValues; sum: number; count: number; td: { compress(): void; percentile(q: number): number; size(): number } }
  >;
  collect?: () => unknown;
}

type Known =
  | { kind: 'histogram'; metric: HistogramInternals }
  | { kind: 'value'; metric: ValueInternals }
  | { kind: 'summary'; metric: SummaryInternals };

// prom-client's own methods: a metric that overrides them writes what they return, not its series map.
const prototypes = {
  histogram: Histogram.prototype as unknown as Record<string, unknown>,
  counter: Counter.prototype as unknown as Record<string, unknown>,
  gauge: Gauge.prototype as unknown as Record<string, unknown>,
  summary: Summary.prototype as unknown as Record<string, unknown>,
};

/** The metric as one this file writes, or undefined when prom-client's writer must do it. */
function asKnown(metric: unknown): Known | undefined {
  const m = metric as Record<string, unknown>;
  if (typeof m.hashMap !== 'object' || m.hashMap === null) return undefined;
  if (
    m.type === 'histogram' &&
    m.get === prototypes.histogram.get &&
    m.getForPromString === prototypes.histogram.getForPromString &&
    m.enableExemplars === false &&
    Array.isArray(m.upperBounds)
  )
    return { kind: 'histogram', metric: m as unknown as HistogramInternals };
  // Exemplars only reach OpenMetrics output, which never comes here.
  if ((m.type === 'counter' && m.get === prototypes.counter.get) || (m.type === 'gauge' && m.get === prototypes.gauge.get))
    return { kind: 'value', metric: m as unknown as ValueInternals };
  if (m.type === 'summary' && m.get === prototypes.summary.get && Array.isArray(m.percentiles))
    return { kind: 'summary', metric: m as unknown as SummaryInternals };
  return undefined;
}

// prom-client's text-format rules (registry.js, util.js), so the bytes are the same.
const escapeString = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabelValue = (v: string | number): string | number => (typeof v === 'string' ? escapeString(v).replace(/"/g, '\\"') : v);
function valueText(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}
function labelText(labels: LabelValues | undefined): string {
  let text = '';
  if (labels === undefined) return text;
  for (const label in labels) {
    if (!Object.hasOwn(labels, label)) continue;
    text += `${text ? ',' : ''}${label}="${escapeLabelValue(labels[label] as string | number)}"`;
  }
  return text;
}

const encoder = new TextEncoder();

/** Text of a safe integer needs at most this many bytes: a sign and 16 digits (2^53 − 1). */
const MAX_INTEGER_BYTES = 17;

/**
 * Packs UTF-8 into fixed-size chunks and hands each to onChunk once full. Text goes in as
 * strings (write), as bytes encoded once and written many times (writeBytes), or as numbers
 * (writeNumber: a safe integer's digits are written as bytes). Pieces are cut only at UTF-8
 * character boundaries, so every chunk decodes on its own.
 */
class ChunkWriter {
  #chunk: Uint8Array;
  #used = 0;
  bytes = 0;
  chunks = 0;
  /** A chunk can hold any safe integer's text (only test-sized chunks cannot). */
  readonly #digitsFit: boolean;
  constructor(
    private readonly chunkBytes: number,
    private readonly onChunk: (chunk: Uint8Array) => void,
  ) {
    this.#chunk = new Uint8Array(chunkBytes);
    this.#digitsFit = chunkBytes >= MAX_INTEGER_BYTES;
  }
  /** Bytes written so far, flushed or not. */
  get position(): number {
    return this.bytes + this.#used;
  }
  write(text: string): void {
    let rest = text;
    for (;;) {
      const { read, written } = encoder.encodeInto(rest, this.#chunk.subarray(this.#used));
      this.#used += written;
      if (read === rest.length) return;
      rest = rest.slice(read);
      this.flush();
    }
  }
  writeBytes(bytes: Uint8Array): void {
    let rest = bytes;
    while (rest.length > this.chunkBytes - this.#used) {
      // Fill the chunk up to the last character boundary (a UTF-8 continuation byte is 10xxxxxx).
      let cut = this.chunkBytes - this.#used;
      while (cut > 0 && ((rest[cut] as number) & 0xc0) === 0x80) cut -= 1;
      this.#chunk.set(rest.subarray(0, cut), this.#used);
      this.#used += cut;
      rest = rest.subarray(cut);
      this.flush();
    }
    this.#chunk.set(rest, this.#used);
    this.#used += rest.length;
  }
  /**
   * The number as prom-client writes it (valueText). A safe integer's digits go straight into the
   * chunk: turning a number into a string puts it in V8's number-string cache, which keeps it alive
   * into the old generation, so a snapshot of many label sets left megabytes of old-generation
   * garbage per scrape and, every few scrapes, a mark-compact pause of ~10 ms on the main thread.
   */
  writeNumber(value: number): void {
    if (!(this.#digitsFit && Number.isSafeInteger(value))) {
      // JSON.stringify writes a finite number as String() does (ECMA-262 SerializeJSONProperty:
      // ToString) but formats it itself, without the cache.
      this.write(Number.isFinite(value) ? JSON.stringify(value) : valueText(value));
      return;
    }
    if (this.chunkBytes - this.#used < MAX_INTEGER_BYTES) this.flush();
    const chunk = this.#chunk;
    let n = value;
    if (n < 0) {
      chunk[this.#used++] = 0x2d; // '-'; -0 is written as 0, as `${-0}` is
      n = -n;
    }
    let digits = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits += 1;
    let at = this.#used + digits;
    this.#used = at;
    do {
      chunk[--at] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }
  flush(): void {
    if (this.#used === 0) return;
    const full = this.#chunk.subarray(0, this.#used);
    this.bytes += this.#used;
    this.chunks += 1;
    this.#chunk = new Uint8Array(this.chunkBytes);
    this.#used = 0;
    this.onChunk(full);
  }
}

/** One buffer, reused: text encoded once per label set and copied into each of its lines. */
let scratch = new Uint8Array(1024);
/** The text as UTF-8, in the shared scratch buffer: valid until the next call. */
function encodeToScratch(text: string): Uint8Array {
  for (;;) {
    const { read, written } = encoder.encodeInto(text, scratch);
    if (read === text.length) return scratch.subarray(0, written);
    scratch = new Uint8Array(scratch.length * 2);
  }
}

// process.threadCpuUsage(): Node 22.19+, 23.9+ (every supported line); absent on older Nodes.
const threadCpuUsage = (process as unknown as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage;
/** CPU time this thread has used, in ms; NaN on a Node without process.threadCpuUsage(). */
export const threadCpuMs = (): number => {
  const usage = threadCpuUsage?.call(process);
  return usage ? (usage.user + usage.system) / 1000 : Number.NaN;
};

/** Measured slices of main-thread work: where the snapshot held the loop, and for how long. */
class Slicer {
  #start = performance.now();
  #startCpu: number;
  slices = 1;
  maxSliceMs = 0;
  maxSliceCpuMs: number | undefined;
  workCpuMs: number | undefined;
  workMs = 0;
  constructor(
    private readonly sliceMs: number,
    private readonly measureCpu: boolean,
  ) {
    this.#startCpu = measureCpu ? threadCpuMs() : Number.NaN;
  }
  async maybeYield(): Promise<void> {
    const ran = performance.now() - this.#start;
    if (ran < this.sliceMs) return;
    this.#end(ran);
    await yieldToLoop();
    this.slices += 1;
    this.#start = performance.now();
    if (this.measureCpu) this.#startCpu = threadCpuMs();
  }
  finish(): void {
    this.#end(performance.now() - this.#start);
  }
  #end(ran: number): void {
    this.workMs += ran;
    if (ran > this.maxSliceMs) this.maxSliceMs = ran;
    if (!this.measureCpu) return;
    const cpu = threadCpuMs() - this.#startCpu;
    if (Number.isNaN(cpu)) return;
    this.maxSliceCpuMs = Math.max(this.maxSliceCpuMs ?? 0, cpu);
    this.workCpuMs = (this.workCpuMs ?? 0) + cpu;
  }
}

// The clock is read after a label set once this many bytes were written since the last read
// (a few µs of work at most between two reads).
const CHECK_BYTES = 16_384;

/** Yields to the loop when the slice has run its time; checks the clock every CHECK_BYTES. */
class Pacer {
  #mark: number;
  constructor(
    private readonly slicer: Slicer,
    private readonly out: ChunkWriter,
    /** Bytes between two clock reads; a summary reads it after every label set (its t-digest's work is not in its bytes). */
    private readonly checkBytes = CHECK_BYTES,
  ) {
    this.#mark = out.position;
  }
  async afterLabelSet(): Promise<void> {
    if (this.out.position - this.#mark < this.checkBytes) return;
    this.#mark = this.out.position;
    await this.slicer.maybeYield();
  }
}

async function collectFirst(metric: { collect?: () => unknown }): Promise<void> {
  if (!metric.collect) return;
  const pending = metric.collect();
  if (pending instanceof Promise) await pending;
}

function header(name: string, help: string, type: string): string {
  const escaped = escapeString(name);
  return `# HELP ${escaped} ${escapeString(help)}\n# TYPE ${escaped} ${type}`;
}

async function writeHistogram(h: HistogramInternals, slicer: Slicer, out: ChunkWriter): Promise<void> {
  await collectFirst(h);
  out.write(header(h.name, h.help, 'histogram'));
  const bucketName = `${h.name}_bucket`;
  // The start of each bucket's line, encoded once per metric rather than once per label set.
  const bounds = h.upperBounds;
  const starts = bounds.map((bound) => encoder.encode(`\n${bucketName}{le="${bound}"`));
  const infStart = encoder.encode(`\n${bucketName}{le="+Inf"`);
  // bucketValues is keyed by the bounds as property names: looking a number up converts it to a
  // string every time (one more entry through V8's number-string cache per line); these are converted once.
  const keys = bounds.map(String);
  const pacer = new Pacer(slicer, out);
  for (const key in h.hashMap) {
    const series = h.hashMap[key];
    if (series === undefined) continue;
    const shared = labelText(series.labels);
    // The rest of a bucket line before its value, encoded once for the label set's 15 lines.
    const rest = encodeToScratch(shared ? `,${shared}} ` : '} ');
    const counts = series.bucketValues;
    let cumulative = 0;
    for (let i = 0; i < bounds.length; i++) {
      cumulative += counts[keys[i] as unknown as number] ?? 0;
      out.writeBytes(starts[i] as Uint8Array);
      out.writeBytes(rest);
      out.writeNumber(cumulative);
    }
    out.writeBytes(infStart);
    out.writeBytes(rest);
    out.writeNumber(series.count);
    const labels = shared ? `{${shared}}` : '';
    out.write(`\n${h.name}_sum${labels} `);
    out.writeNumber(series.sum);
    out.write(`\n${h.name}_count${labels} `);
    out.writeNumber(series.count);
    await pacer.afterLabelSet();
  }
}

async function writeValues(m: ValueInternals, slicer: Slicer, out: ChunkWriter): Promise<void> {
  await collectFirst(m);
  out.write(header(m.name, m.help, m.type));
  const name = encoder.encode(`\n${escapeString(m.name)}`);
  const pacer = new Pacer(slicer, out);
  for (const key in m.hashMap) {
    const series = m.hashMap[key];
    if (series === undefined) continue;
    const labels = labelText(series.labels);
    out.writeBytes(name);
    out.write(labels ? `{${labels}} ` : ' ');
    out.writeNumber(series.value);
    await pacer.afterLabelSet();
  }
}

/** A summary label set's count when this writer last compressed its digest (keyed by prom-client's series object). */
const compressedAtCount = new WeakMap<object, number>();

async function writeSummary(m: SummaryInternals, slicer: Slicer, out: ChunkWriter): Promise<void> {
  await collectFirst(m);
  out.write(header(m.name, m.help, 'summary'));
  const name = escapeString(m.name);
  const starts = m.percentiles.map((q) => encoder.encode(`\n${name}{quantile="${q}"`));
  const pacer = new Pacer(slicer, out, 0);
  for (const key in m.hashMap) {
    const series = m.hashMap[key];
    if (series === undefined) continue;
    // As prom-client's get(): a label set whose window emptied is dropped when pruneAgedBuckets is on.
    if (m.pruneAgedBuckets && series.td.size() === 0) {
      delete m.hashMap[key];
      continue;
    }
    // prom-client's get() rebuilds every label set's t-digest on every read (compress() re-inserts
    // all centroids), and the rebuilt digests outlive the next scavenge: with 20 000 label sets,
    // scavenges of 8-25 ms per snapshot. A digest that took no observation since it was last
    // compressed here holds the same data (observations raise count, and only they add points),
    // so it is read as it is.
    if (compressedAtCount.get(series) !== series.count) {
      series.td.compress();
      compressedAtCount.set(series, series.count);
    }
    const shared = labelText(series.labels);
    const rest = encodeToScratch(shared ? `,${shared}} ` : '} ');
    for (let i = 0; i < m.percentiles.length; i++) {
      const value = series.td.percentile(m.percentiles[i] as number);
      out.writeBytes(starts[i] as Uint8Array);
      out.writeBytes(rest);
      out.writeNumber(value ? value : 0);
    }
    const labels = shared ? `{${shared}}` : '';
    out.write(`\n${name}_sum${labels} `);
    out.writeNumber(series.sum);
    out.write(`\n${name}_count${labels} `);
    out.writeNumber(series.count);
    await pacer.afterLabelSet();
  }
}

export interface SnapshotOptions {
  /** Main-thread work between two yields to the event loop, in ms. */
  sliceMs: number;
  /** Size of each chunk handed to onChunk, in bytes (an integer ≥ 4: one UTF-8 character; the last chunk may be shorter). Default 256 KiB. */
  chunkBytes?: number;
  /** Metric families left out, by name (the watchdog thread reports those itself). */
  skip?: ReadonlySet<string>;
  /** Also measure each slice's CPU time on this thread (maxSliceCpuMs). Default false. */
  measureCpu?: boolean;
}

/** What writing one snapshot cost the main thread. */
export interface SnapshotStats {
  /** Slices of work, i.e. yields to the event loop + 1. */
  slices: number;
  /** The longest slice, in ms (wall time, so it includes GC and time the OS did not run us). */
  maxSliceMs: number;
  /**
   * The most CPU time this thread spent in one slice, in ms: the slice without the time the OS
   * ran something else. Only with measureCpu, on a Node with process.threadCpuUsage().
   */
  maxSliceCpuMs?: number;
  /** All slices' CPU time on this thread together, in ms (same conditions as maxSliceCpuMs). */
  workCpuMs?: number;
  /** All slices together, in ms (wall time); the time between slices belongs to the app. */
  workMs: number;
  bytes: number;
  chunks: number;
}

let fastWritersChecked: boolean | undefined;

/**
 * True when this file's writers give byte for byte what the installed prom-client gives for a
 * small registry with every metric kind and the escapes (checked once per process).
 */
async function fastWritersMatch(): Promise<boolean> {
  if (fastWritersChecked !== undefined) return fastWritersChecked;
  const registry = new Registry();
  const labelNames = ['a', 'b'];
  const tricky = { a: 'q"u\\o\nte', b: 7 };
  new Counter({ name: 'check_c_total', help: 'h\\\n', labelNames, registers: [registry] }).inc(tricky, 2.5);
  const gauge = new Gauge({ name: 'check_g', help: 'h', labelNames, registers: [registry] });
  gauge.set(tricky, Number.NaN);
  gauge.set({ a: 'x' }, Number.NEGATIVE_INFINITY);
  new Gauge({ name: 'check_g_unlabelled', help: 'h', registers: [registry] }).set(1e21);
  const histogram = new Histogram({ name: 'check_h', help: 'h', labelNames, buckets: [0.5, 1], registers: [registry] });
  histogram.observe(tricky, 0.7);
  histogram.observe({ b: 'y' }, 3);
  // Two values per label set: the t-digest's percentiles do not depend on its random compression order.
  const summary = new Summary({ name: 'check_s', help: 'h', labelNames, percentiles: [0.5, 0.99], registers: [registry] });
  summary.observe(tricky, 2);
  summary.observe(tricky, 4);
  summary.observe({ a: 'z' }, 0);
  new Summary({ name: 'check_s_unlabelled', help: 'h', registers: [registry] });
  const chunks: Uint8Array[] = [];
  await writeAll(registry, { sliceMs: Number.POSITIVE_INFINITY, chunkBytes: 64 }, (chunk) => chunks.push(chunk), true);
  fastWritersChecked = Buffer.concat(chunks).toString('utf8') === (await registry.metrics());
  return fastWritersChecked;
}

async function writeAll(
  registry: Registry,
  options: SnapshotOptions,
  onChunk: (chunk: Uint8Array) => void,
  fast: boolean,
): Promise<SnapshotStats> {
  const out = new ChunkWriter(options.chunkBytes ?? 256 * 1024, onChunk);
  const slicer = new Slicer(options.sliceMs, options.measureCpu === true);
  let first = true;
  for (const metric of registry.getMetricsAsArray()) {
    if (options.skip?.has(metric.name)) continue;
    if (!first) out.write('\n\n');
    first = false;
    const known = fast ? asKnown(metric) : undefined;
    if (known?.kind === 'histogram') await writeHistogram(known.metric, slicer, out);
    else if (known?.kind === 'value') await writeValues(known.metric, slicer, out);
    else if (known?.kind === 'summary') await writeSummary(known.metric, slicer, out);
    else out.write(await registry.getSingleMetricAsString(metric.name));
    await slicer.maybeYield();
  }
  out.write('\n');
  out.flush();
  slicer.finish();
  const stats: SnapshotStats = {
    slices: slicer.slices,
    maxSliceMs: slicer.maxSliceMs,
    workMs: slicer.workMs,
    bytes: out.bytes,
    chunks: out.chunks,
  };
  if (slicer.maxSliceCpuMs !== undefined) stats.maxSliceCpuMs = slicer.maxSliceCpuMs;
  if (slicer.workCpuMs !== undefined) stats.workCpuMs = slicer.workCpuMs;
  return stats;
}

/**
 * Writes the registry in the Prometheus text format as UTF-8 chunks whose concatenation is byte
 * for byte what registry.metrics() gives (without the `skip` families), metric by metric
 * (counters, gauges, plain histograms and summaries label set by label set), yielding to the event loop
 * whenever a slice of work has run for sliceMs. Each chunk is handed to onChunk as soon as it is
 * full and owns its ArrayBuffer (transferable). With default labels every metric goes through
 * prom-client's per-metric writer (one run per metric); an OpenMetrics registry is written by
 * prom-client in one run (and refuses `skip`: TypeError). Errors from a metric's collect()
 * reject the promise; chunks already handed out are then a partial text.
 */
export async function serializeInSlices(
  registry: Registry,
  options: SnapshotOptions,
  onChunk: (chunk: Uint8Array) => void,
): Promise<SnapshotStats> {
  const { chunkBytes } = options;
  if (chunkBytes !== undefined && !(Number.isInteger(chunkBytes) && chunkBytes >= 4))
    throw new TypeError(`serializeInSlices: chunkBytes must be an integer ≥ 4 (one UTF-8 character), got ${chunkBytes}`);
  if (registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) {
    // OpenMetrics has other separators, counter names and an # EOF line: prom-client writes it whole.
    if (options.skip?.size) throw new TypeError('serializeInSlices: skip needs a registry in the Prometheus text format');
    const out = new ChunkWriter(options.chunkBytes ?? 256 * 1024, onChunk);
    const started = performance.now();
    out.write(await registry.metrics());
    out.flush();
    const ms = performance.now() - started;
    return { slices: 1, maxSliceMs: ms, workMs: ms, bytes: out.bytes, chunks: out.chunks };
  }
  // Default labels are added to every line by prom-client's writer: metric by metric through it.
  const defaultLabels = (registry as unknown as { _defaultLabels?: object })._defaultLabels;
  const plain = defaultLabels !== undefined && Object.keys(defaultLabels).length === 0;
  return writeAll(registry, options, onChunk, plain && (await fastWritersMatch()));
}
