// Fault state as metrics (docs/metrics.md): read from the state at collection time, so the
// gauges can never disagree with GET /admin/faults.
import { METRIC_LAB_FAULT_ACTIVE, METRIC_LAB_FAULT_PARAMETER } from '@runtime-lab/metric-names';
import { Gauge, type Registry } from 'prom-client';
import type { FaultState } from './state.js';

export function registerFaultMetrics(registry: Registry, state: FaultState): void {
  new Gauge({
    name: METRIC_LAB_FAULT_ACTIVE,
    help: '1 while a fault or mitigation is on (Grafana annotations)',
    labelNames: ['fault', 'kind'],
    registers: [registry],
    collect() {
      for (const toggle of state.list()) this.set({ fault: toggle.name, kind: toggle.kind }, toggle.active ? 1 : 0);
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
}
