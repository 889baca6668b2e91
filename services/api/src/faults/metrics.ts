// Fault state as metrics (docs/metrics.md): read from the state at collection time, so the
// gauges can never disagree with GET /admin/faults.
import { METRIC_LAB_FAULT_ACTIVE, METRIC_LAB_FAULT_PARAMETER, METRIC_LAB_FAULT_TRIGGER_REQUESTS_TOTAL } from '@runtime-lab/metric-names';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TriggerCounter } from './trigger.js';
import type { FaultState } from './state.js';

/** Registers the fault gauges; returns the counter of requests an input trigger looked at. */
export function registerFaultMetrics(registry: Registry, state: FaultState): TriggerCounter {
  new Gauge({
    name: METRIC_LAB_FAULT_ACTIVE,
    help: '1 while a fault or mitigation is on (Grafana annotations)',
    labelNames: ['fault', 'kind'],
    registers: [registry],
    collect() {
      for (const toggle of state.list()) this.set({ fault: toggle.name, kind: toggle.kind }, toggle.active ? 1 : 0);
      // A mystery incident (the workshop) shows as fault="mystery": an annotation that something is
      // on, not which; list() already shows the hidden toggle as off.
      this.set({ fault: 'mystery', kind: 'fault' }, state.mystery().active ? 1 : 0);
    },
  });
  new Gauge({
    name: METRIC_LAB_FAULT_PARAMETER,
    help: 'Numeric parameters of active toggles',
    labelNames: ['fault', 'param'],
    registers: [registry],
    collect() {
      // Series of toggles that went off must disappear, not linger at their last value.
      this.reset();
      for (const toggle of state.list()) {
        if (!toggle.active) continue;
        for (const [param, value] of Object.entries(toggle.params)) {
          if (typeof value === 'number') this.set({ fault: toggle.name, param }, value);
        }
      }
    },
  });
  // Labels stay bounded: the trigger's source and the outcome, never the header, field or value.
  const triggered = new Counter({
    name: METRIC_LAB_FAULT_TRIGGER_REQUESTS_TOTAL,
    help: "Requests to a fault's routes checked against its input trigger, by whether they carried the input",
    labelNames: ['fault', 'source', 'outcome'],
    registers: [registry],
  });
  return (fault, source, matched) => triggered.inc({ fault, source, outcome: matched ? 'matched' : 'unmatched' });
}
