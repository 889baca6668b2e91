// Walking generated dashboard JSON: every panel (rows included) and every query it sends.
export interface PanelJson {
  id?: number;
  type: string;
  title: string;
  description?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Array<{ refId?: string; expr?: string; datasource?: { type?: string; uid?: string } }>;
  panels?: PanelJson[];
  [key: string]: unknown;
}

export interface DashboardJson {
  uid: string;
  title: string;
  panels: PanelJson[];
  annotations?: { list: Array<{ name: string; expr?: string; datasource?: { type?: string; uid?: string } }> };
  [key: string]: unknown;
}

export interface QueryRef {
  dashboard: string;
  /** Panel title, or "annotation <name>". */
  where: string;
  refId: string;
  expr: string;
}

export function allPanels(dashboard: DashboardJson): PanelJson[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

export function allQueries(dashboard: DashboardJson): QueryRef[] {
  const queries: QueryRef[] = [];
  for (const panel of allPanels(dashboard)) {
    for (const target of panel.targets ?? []) {
      queries.push({ dashboard: dashboard.title, where: `panel "${panel.title}"`, refId: target.refId ?? '?', expr: target.expr ?? '' });
    }
  }
  for (const annotation of dashboard.annotations?.list ?? []) {
    if (annotation.expr !== undefined) {
      queries.push({ dashboard: dashboard.title, where: `annotation "${annotation.name}"`, refId: '-', expr: annotation.expr });
    }
  }
  return queries;
}
