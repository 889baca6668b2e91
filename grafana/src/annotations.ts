// Annotations shared by the dashboards: fault toggles (the api's lab_fault_active gauges) and
// scenario phases (the runner's lab_runner_phase_info), both through recorded series.
import { METRIC_LAB_FAULT_ACTIVE, METRIC_LAB_RUNNER_PHASE_INFO } from '@runtime-lab/metric-names';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { PROMETHEUS_DATASOURCE, SCRAPE_INTERVAL } from './datasource.js';

export function faultAnnotations(): dashboard.AnnotationQueryBuilder {
  return new dashboard.AnnotationQueryBuilder()
    .name('Fault toggles')
    .datasource(PROMETHEUS_DATASOURCE)
    .enable(true)
    .iconColor('red')
    .expr(`fault_kind:${METRIC_LAB_FAULT_ACTIVE}:max > 0`)
    .step(SCRAPE_INTERVAL)
    .titleFormat('{{kind}}: {{fault}}')
    .tagKeys('fault,kind')
    .textFormat('{{kind}} {{fault}} on')
    .useValueForTime(false);
}

export function phaseAnnotations(): dashboard.AnnotationQueryBuilder {
  return new dashboard.AnnotationQueryBuilder()
    .name('Scenario phases')
    .datasource(PROMETHEUS_DATASOURCE)
    .enable(true)
    .iconColor('blue')
    .expr(`scenario_phase:${METRIC_LAB_RUNNER_PHASE_INFO}:max > 0`)
    .step(SCRAPE_INTERVAL)
    .titleFormat('{{scenario}}: {{phase}}')
    .tagKeys('scenario,phase')
    .textFormat('phase {{phase}}')
    .useValueForTime(false);
}
