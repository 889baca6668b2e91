// Metrics this plugin put into a registry, so that closing the app (or a failed registration)
// takes exactly those out again and the registry can be reused, e.g. by a restarted app.
import type { Metric, Registry } from 'prom-client';
import { registryConflict } from './errors.js';
import { FastHistogram } from './fast-histogram.js';

export class OwnedMetrics {
  readonly #registry: Registry;
  readonly #names: string[] = [];

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  /** Registers a metric built with `registers: []`; a name already taken is a clear error. */
  add<M extends Metric | FastHistogram<string>>(name: string, metric: M): M {
    if (this.#registry.getSingleMetric(name)) throw registryConflict(name);
    this.#registry.registerMetric(metric instanceof FastHistogram ? metric.asMetric() : (metric as Metric));
    this.#names.push(name);
    return metric;
  }

  /** Records metrics that something else (prom-client's default metrics) registered for us. */
  adopt(names: Iterable<string>): void {
    for (const name of names) this.#names.push(name);
  }

  removeAll(): void {
    for (const name of this.#names.splice(0)) this.#registry.removeSingleMetric(name);
  }
}
