// The registry snapshot the watchdog serves, written on the main thread (the registry lives
// there) in slices: one metric at a time, yielding to the event loop whenever a slice has run
// for sliceMs. registry.metrics() collects and formats every metric in one synchronous run
// once its collect() promises settle, so a large registry stalled the loop for the whole of it
// (measured: ~0.6-1.2 s for one histogram with 20 000 series, docs/measurement.md). Sliced, a
// stall is bounded by the largest single metric instead of the whole registry.
import type { Registry } from 'prom-client';

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The registry in the Prometheus text format, byte for byte what registry.metrics() gives
 * (same per-metric writer, same separators), produced metric by metric with yields between
 * slices of at least sliceMs of work.
 */
export async function serializeInSlices(registry: Registry, sliceMs: number): Promise<string> {
  const parts: string[] = [];
  let sliceStart = performance.now();
  for (const metric of registry.getMetricsAsArray()) {
    parts.push(await registry.getSingleMetricAsString(metric.name));
    if (performance.now() - sliceStart >= sliceMs) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
  }
  return `${parts.join('\n\n')}\n`;
}
