// Assembles a lab dashboard: fixed uid, the lab's tag and cross-links, rows of panels with ids
// assigned in order (stable ids keep the generated JSON diff-friendly and let links target a panel).
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { faultAnnotations, phaseAnnotations } from './annotations.js';
import { DASHBOARD_TAG } from './datasource.js';
import type { LabPanel } from './panels.js';

export interface Row {
  title: string;
  panels: LabPanel[];
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  rows: Row[];
  /** Default: the lab's fault toggles and scenario phases, so every dashboard puts them on its time axis. */
  annotations?: dashboard.AnnotationQueryBuilder[];
}

const UID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

export function buildDashboard(spec: DashboardSpec): dashboard.Dashboard {
  // Grafana caps uids at 40 characters; lower-case and dashes keep them readable in URLs.
  if (!UID_PATTERN.test(spec.uid)) {
    throw new Error(`dashboard "${spec.title}": uid "${spec.uid}" must match ${UID_PATTERN} (lower case, digits, dashes, at most 40)`);
  }
  const builder = new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([DASHBOARD_TAG])
    .readonly()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: 'now-15m', to: 'now' })
    .refresh('5s')
    .timezone('browser')
    .link(
      new dashboard.DashboardLinkBuilder('Runtime lab')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([DASHBOARD_TAG])
        .asDropdown(false)
        .keepTime(true)
        .includeVars(false)
        .targetBlank(false),
    )
    .annotations(spec.annotations ?? [faultAnnotations(), phaseAnnotations()]);
  let id = 1;
  for (const row of spec.rows) {
    builder.withRow(new dashboard.RowBuilder(row.title).id(id++));
    for (const panel of row.panels) builder.withPanel(panel.id(id++));
  }
  return builder.build();
}
