// Small builders over the foundation SDK so every panel in the lab is made the same way: the
// lab's datasource, a description (Grafana shows it as the panel's (i) tooltip; it says what to
// look for), a visible legend, one shared tooltip, and queries named A, B, C...
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { PROMETHEUS_DATASOURCE } from './datasource.js';

export interface Query {
  /** PromQL over recorded series (prometheus/rules/recording.yml). */
  expr: string;
  legend: string;
}

/** Series colours that carry meaning across dashboards: the runtime's view vs the request's view. */
export const COLORS = {
  loop: 'orange',
  loopP99: 'yellow',
  stall: 'red',
  client: 'purple',
  server: 'green',
  queue: 'blue',
} as const;

export interface SeriesColor {
  /** Regular expression over the series' display name (its legend). */
  match: string;
  color: string;
}

interface PanelCommon {
  title: string;
  description: string;
  unit: string;
  /** Grid width out of 24. */
  width: number;
  height: number;
}

export interface TimeseriesOptions extends PanelCommon {
  queries: Query[];
  /** Log scale for latency panels whose lines differ by orders of magnitude. */
  logScale?: boolean;
  min?: number;
  max?: number;
  colors?: SeriesColor[];
  /** Bars instead of lines, for on/off toggles and phases. */
  stepped?: boolean;
}

export interface StatOptions extends PanelCommon {
  query: Query;
  /** Ascending [value, colour] steps after the base (green) step. */
  thresholds: Array<[number, string]>;
}

export type LabPanel = TimeseriesPanelBuilder | StatPanelBuilder;

function target(query: Query, index: number, instant: boolean): DataqueryBuilder {
  const builder = new DataqueryBuilder()
    .datasource(PROMETHEUS_DATASOURCE)
    .refId(String.fromCharCode(65 + index))
    .expr(query.expr)
    .legendFormat(query.legend);
  return instant ? builder.instant() : builder.range();
}

function fixedColor(color: string): dashboard.DynamicConfigValue {
  return { id: 'color', value: { mode: 'fixed', fixedColor: color } };
}

/** Title, description, datasource, unit and size: the part every lab panel shares. */
function withCommon<P extends LabPanel>(panel: P, options: PanelCommon): P {
  for (const [kind, value] of [
    ['title', options.title],
    ['description', options.description],
  ]) {
    if (value?.trim() === '') throw new Error(`panel "${options.title}": ${kind} must not be empty`);
  }
  panel
    .title(options.title)
    .description(options.description)
    .datasource(PROMETHEUS_DATASOURCE)
    .unit(options.unit)
    .span(options.width)
    .height(options.height);
  return panel;
}

export function timeseries(options: TimeseriesOptions): TimeseriesPanelBuilder {
  if (options.queries.length === 0) throw new Error(`panel "${options.title}": needs at least one query`);
  const panel = withCommon(new TimeseriesPanelBuilder(), options)
    .lineWidth(2)
    .fillOpacity(options.stepped ? 40 : 8)
    .showPoints(common.VisibilityMode.Never)
    // A scrape gap is itself a finding: leave it visible instead of bridging it.
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .calcs(['max', 'lastNotNull']),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (options.stepped) panel.lineInterpolation(common.LineInterpolation.StepAfter);
  if (options.logScale) {
    panel.scaleDistribution(new common.ScaleDistributionConfigBuilder().type(common.ScaleDistribution.Log).log(10));
  }
  if (options.min !== undefined) panel.min(options.min);
  if (options.max !== undefined) panel.max(options.max);
  for (const { match, color } of options.colors ?? []) panel.overrideByRegexp(match, [fixedColor(color)]);
  options.queries.forEach((query, index) => {
    panel.withTarget(target(query, index, false));
  });
  return panel;
}

/**
 * A full-width band of 0/1 lines drawn as steps (1 while a fault, scenario or phase is on): the
 * lab's "what was switched on when" rows, on the same time axis as the signals.
 */
export function onOffBand(options: Pick<TimeseriesOptions, 'title' | 'description' | 'queries'>): TimeseriesPanelBuilder {
  return timeseries({ ...options, unit: 'short', width: 24, height: 6, min: 0, max: 1, stepped: true });
}

export function stat(options: StatOptions): StatPanelBuilder {
  const steps: dashboard.Threshold[] = [{ value: null, color: 'green' }];
  for (const [value, color] of options.thresholds) steps.push({ value, color });
  return withCommon(new StatPanelBuilder(), options)
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Background)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps))
    .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.Thresholds))
    .withTarget(target(options.query, 0, false));
}
