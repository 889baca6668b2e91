// The metric names in the recording rules (and so, through them, in every dashboard query) must
// be ones the real services expose: both services are started from their build output on
// ephemeral ports, every route is exercised once, and their watchdog endpoints are scraped.
// The runner's own lab_runner_* metrics are checked the same way, through Prometheus, in
// integration.test.ts (they only exist while a scenario runs).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  SYNTHETIC_SERIES,
  parsePromql,
  recordingRules,
  resetToggles,
  type RunningService,
  setToggles,
  startLabServices,
} from '@runtime-lab/test-kit';

let services: RunningService[] = [];

/** Names of the samples actually present (with data) in a text exposition. */
function sampleNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (match) names.add(match[1] as string);
  }
  return names;
}

async function scrapeAll(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const s of services) {
    const response = await fetch(s.metricsUrl, { signal: AbortSignal.timeout(3000) });
    assert.equal(response.status, 200, `${s.name} ${s.metricsUrl}`);
    // Prometheus 3.x (compose) refuses a scrape without a valid exposition content type, where
    // 2.42 (CI) guesses: this keeps what CI sees true for the stack users run.
    assert.match(
      response.headers.get('content-type') ?? '',
      /^(text\/plain; version=0\.0\.4|application\/openmetrics-text)/,
      `${s.name}: content-type`,
    );
    for (const name of sampleNames(await response.text())) names.add(name);
  }
  return names;
}

/** Raw (scraped) metrics the recording rules read, without the runner's and Prometheus's own. */
function serviceMetricsInRules(): Map<string, string[]> {
  const byMetric = new Map<string, string[]>();
  for (const rule of recordingRules()) {
    for (const metric of parsePromql(rule.expr).metrics) {
      if (SYNTHETIC_SERIES.has(metric) || metric.startsWith('lab_runner_')) continue;
      byMetric.set(metric, [...(byMetric.get(metric) ?? []), rule.record]);
    }
  }
  return byMetric;
}

before(async () => {
  const lab = await startLabServices({ timeoutMs: 30_000 });
  services = [lab.api, lab.downstream];
});

after(async () => {
  await Promise.all(services.map((s) => s.stop(5000)));
});

describe('recording rules against a live scrape of the services', () => {
  it('reads only metrics the api and downstream expose once every route has been used', async () => {
    const api = services.find((s) => s.name === 'api');
    assert.ok(api);
    // One request per route, so labelled series (route, pool, outcome...) exist.
    const requests: Array<[string, RequestInit]> = [
      ['/api/ping', { headers: { 'X-Request-Start': `t=${Date.now()}` } }],
      ['/api/orders', {}],
      ['/api/report', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
      ['/api/hash', {}],
      ['/api/config', {}],
      ['/api/checkout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
    ];
    for (const [path, init] of requests) {
      const response = await fetch(new URL(path, api.url), { ...init, signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      assert.ok(response.ok, `${path}: ${response.status}`);
    }
    // One stall long enough to be attributed (the api's attribution threshold is 100 ms), so the
    // by-frame stall counters, which have no series before their first stall, exist too.
    await setToggles(api.url, { blocking: { mode: 'cpu', durationMs: 400, routes: ['orders'] } });
    try {
      const blocked = await fetch(new URL('/api/orders', api.url), { signal: AbortSignal.timeout(10_000) });
      await blocked.arrayBuffer();
      assert.ok(blocked.ok, `/api/orders under a blocking fault: ${blocked.status}`);
    } finally {
      await resetToggles(api.url);
    }
    const wanted = serviceMetricsInRules();
    assert.ok(wanted.size > 20, `${wanted.size} service metrics in the rules`);
    // The watchdog serves a snapshot of the registry taken on a short interval: wait for one
    // taken after the requests above.
    let missing: string[] = [];
    const deadline = Date.now() + 15_000;
    do {
      const exposed = await scrapeAll();
      missing = [...wanted.keys()].filter((m) => !exposed.has(m));
      if (missing.length === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    } while (Date.now() < deadline);
    assert.deepEqual(
      missing.map((m) => `${m} (read by ${wanted.get(m)?.join(', ')})`),
      [],
      'metrics the recording rules read but no service exposes',
    );
  });
});
