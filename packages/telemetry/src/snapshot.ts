// The registry snapshot the watchdog serves, written on the main thread (the registry lives
// there) in slices, yielding to the event loop whenever a slice has run for sliceMs.
// registry.metrics() collects and formats every metric in one synchronous run once its
// collect() promises settle, so a large registry stalled the loop for the whole of it
// (measured: 0.6-2 s for one histogram with 20 000 label sets, docs/measurement.md).
//
// Metrics are written one at a time through prom-client's own per-metric writer
// (getSingleMetricAsString), except plain histograms: their get() builds every label set's 17
// values in one run, so they are written here, label set by label set, from prom-client's
// series map. That map is not public API: the writer checks its shape and falls back to
// prom-client's writer for anything it does not recognise (exemplars, default labels, an
// OpenMetrics registry, another prom-client version), and a test compares its bytes with
// registry.metrics().
import { Registry } from 'prom-client';

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The part of prom-client 15's Histogram this writer reads. */
interface HistogramInternals {
  name: string;
  help: string;
  type: 'histogram';
  upperBounds: number[];
  enableExemplars: boolean;
  hashMap: Record<string, { labels: Record<string, string | number>; bucketValues: Record<number, number>; sum: number; count: number }>;
  collect?: () => unknown;
}

function asPlainHistogram(metric: unknown, registry: Registry): HistogramInternals | undefined {
  const m = metric as unknown as Partial<HistogramInternals>;
  const defaultLabels = (registry as unknown as { _defaultLabels?: object })._defaultLabels;
  const plain =
    m.type === 'histogram' &&
    m.enableExemplars === false &&
    Array.isArray(m.upperBounds) &&
    typeof m.hashMap === 'object' &&
    m.hashMap !== null &&
    defaultLabels !== undefined &&
    Object.keys(defaultLabels).length === 0;
  return plain ? (m as HistogramInternals) : undefined;
}

// prom-client's text-format rules (registry.js, util.js), so the bytes are the same.
const escapeString = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabelValue = (v: string | number): string | number => (typeof v === 'string' ? escapeString(v).replace(/"/g, '\\"') : v);
function valueText(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

class Slicer {
  #start = performance.now();
  constructor(private readonly sliceMs: number) {}
  async maybeYield(): Promise<void> {
    if (performance.now() - this.#start < this.sliceMs) return;
    await yieldToLoop();
    this.#start = performance.now();
  }
}

async function writeHistogram(h: HistogramInternals, slicer: Slicer, out: string[]): Promise<void> {
  if (h.collect) {
    const pending = h.collect();
    if (pending instanceof Promise) await pending;
  }
  const name = escapeString(h.name);
  // Lines are joined per slice, so no single join copies the whole text at once.
  out.push(`# HELP ${name} ${escapeString(h.help)}\n# TYPE ${name} histogram`);
  let lines: string[] = [];
  const bucketName = `${h.name}_bucket`;
  let written = 0;
  for (const series of Object.values(h.hashMap)) {
    const shared = Object.entries(series.labels)
      .map(([label, value]) => `${label}="${escapeLabelValue(value)}"`)
      .join(',');
    const withShared = shared ? `,${shared}` : '';
    let cumulative = 0;
    for (const bound of h.upperBounds) {
      cumulative += series.bucketValues[bound] ?? 0;
      lines.push(`${bucketName}{le="${bound}"${withShared}} ${valueText(cumulative)}`);
    }
    lines.push(`${bucketName}{le="+Inf"${withShared}} ${valueText(series.count)}`);
    const labels = shared ? `{${shared}}` : '';
    lines.push(`${h.name}_sum${labels} ${valueText(series.sum)}`, `${h.name}_count${labels} ${valueText(series.count)}`);
    // Checking the clock costs little next to 17 lines; every 64 label sets is plenty.
    if (++written % 64 === 0) {
      out.push(`\n${lines.join('\n')}`);
      lines = [];
      await slicer.maybeYield();
    }
  }
  if (lines.length > 0) out.push(`\n${lines.join('\n')}`);
}

/**
 * The registry in the Prometheus text format, as pieces whose concatenation is byte for byte
 * what registry.metrics() gives (same writer rules, same separators), produced metric by metric
 * (plain histograms label set by label set) with yields between slices of at least sliceMs of
 * work. Pieces, not one string: joining 20 MB is itself a stall; the watchdog thread joins them.
 */
export async function serializeInSlices(registry: Registry, sliceMs: number): Promise<string[]> {
  // OpenMetrics registries have other separators and counter names: prom-client writes those whole.
  if (registry.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) return [await registry.metrics()];
  const pieces: string[] = [];
  const slicer = new Slicer(sliceMs);
  for (const metric of registry.getMetricsAsArray()) {
    if (pieces.length > 0) pieces.push('\n\n');
    const histogram = asPlainHistogram(metric, registry);
    if (histogram) await writeHistogram(histogram, slicer, pieces);
    else pieces.push(await registry.getSingleMetricAsString(metric.name));
    await slicer.maybeYield();
  }
  pieces.push('\n');
  return pieces;
}
