// A small client for Prometheus's HTTP API (/api/v1/query_range, /api/v1/targets), enough for the
// integration test's questions: did this expression return data, and when.
export interface RangeSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

export class PrometheusApi {
  constructor(private readonly baseUrl: string) {}

  private async get<T>(path: string, params: Record<string, string>): Promise<T> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${url}: ${body.error ?? response.status}`);
    return body.data;
  }

  async queryRange(expr: string, startSeconds: number, endSeconds: number, stepSeconds = 2): Promise<RangeSeries[]> {
    const data = await this.get<{ result: RangeSeries[] }>('/api/v1/query_range', {
      query: expr,
      start: String(startSeconds),
      end: String(endSeconds),
      step: String(stepSeconds),
    });
    return data.result;
  }

  /** Samples with a finite value over the range, across all series. */
  async finiteSamples(
    expr: string,
    startSeconds: number,
    endSeconds: number,
  ): Promise<Array<{ metric: Record<string, string>; t: number; v: number }>> {
    const samples: Array<{ metric: Record<string, string>; t: number; v: number }> = [];
    for (const series of await this.queryRange(expr, startSeconds, endSeconds)) {
      for (const [t, raw] of series.values) {
        const v = Number(raw);
        if (Number.isFinite(v)) samples.push({ metric: series.metric, t, v });
      }
    }
    return samples;
  }

  /** Every stored sample of `selector` in (start, end], at its own timestamp (no step grid). */
  async rawSamples(
    selector: string,
    startSeconds: number,
    endSeconds: number,
  ): Promise<Array<{ metric: Record<string, string>; t: number; v: number }>> {
    const data = await this.get<{ result: RangeSeries[] }>('/api/v1/query', {
      query: `${selector}[${Math.ceil((endSeconds - startSeconds) * 1000)}ms]`,
      time: String(endSeconds),
    });
    return data.result.flatMap((series) => series.values.map(([t, raw]) => ({ metric: series.metric, t, v: Number(raw) })));
  }

  async targets(): Promise<Array<{ labels: Record<string, string>; health: string; lastError: string }>> {
    const data = await this.get<{ activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> }>(
      '/api/v1/targets',
      {},
    );
    return data.activeTargets;
  }

  async ruleGroups(): Promise<
    Array<{ name: string; file: string; rules: Array<{ name: string; type: string; health: string; lastError?: string }> }>
  > {
    const data = await this.get<{
      groups: Array<{ name: string; file: string; rules: Array<{ name: string; type: string; health: string; lastError?: string }> }>;
    }>('/api/v1/rules', {});
    return data.groups;
  }
}
