import { join } from 'node:path';
import { type Parsed, parseArgs } from '../args.js';
import { LAB_DIR } from '../paths.js';
import { prometheusAvailable, startPrometheus, waitForPrometheus } from '../prometheus.js';
import { isHealthy, prometheusPort, startServices, urlsFor, DEFAULT_PORTS, STANDARD_PORTS } from '../services.js';
import { readState, runsOurProcess, writeState, type LabState } from '../state.js';

export async function up(argv: string[]): Promise<number> {
  const parsed: Parsed = parseArgs(argv, { 'no-prometheus': { value: false } });
  const existing = readState();
  if (existing?.processes.some((p) => runsOurProcess(p.pid, p.marker))) {
    const urls = urlsFor(DEFAULT_PORTS);
    if (await isHealthy(urls.apiUrl)) {
      console.log(`lab is already up (api ${urls.apiUrl}); \`lab down\` stops it`);
      return 0;
    }
  }
  const logDir = join(LAB_DIR, 'logs');
  const { services, urls } = await startServices({ detached: true, logDir });
  const state: LabState = {
    startedAt: new Date().toISOString(),
    processes: services.map((s) => ({ name: s.name, pid: s.child.pid as number, marker: `services/${s.name}/dist/src/main.js` })),
    urls: { ...urls },
  };
  writeState(state);
  console.log(`api         ${urls.apiUrl}  (metrics ${urls.metricsUrl}, admin ${urls.apiUrl}/admin)`);
  console.log(`downstream  ${urls.downstreamUrl}  (metrics ${urls.downstreamMetricsUrl})`);
  if (parsed.options['no-prometheus']) {
    console.log('prometheus  not started (--no-prometheus)');
  } else if (!prometheusAvailable()) {
    console.log('prometheus  not installed: `lab run` works without it (Debian: apt-get install prometheus)');
  } else {
    // Moved ports (API_PORT…) are rewritten into the derived config, so Prometheus follows them.
    const portMap: Record<number, number> = Object.fromEntries(
      (Object.keys(STANDARD_PORTS) as (keyof typeof STANDARD_PORTS)[])
        .filter((k) => STANDARD_PORTS[k] !== DEFAULT_PORTS[k])
        .map((k) => [STANDARD_PORTS[k], DEFAULT_PORTS[k]]),
    );
    portMap[9090] = prometheusPort(); // its own scrape target
    const prom = startPrometheus({
      detached: true,
      logFile: join(logDir, 'prometheus.log'),
      portMap,
      listen: `127.0.0.1:${prometheusPort()}`,
    });
    state.processes.push({ name: 'prometheus', pid: prom.child.pid as number, marker: 'prometheus' });
    state.urls.prometheusUrl = prom.url;
    writeState(state);
    await waitForPrometheus(prom.url);
    console.log(`prometheus  ${prom.url}  (config ${prom.configFile})`);
  }
  console.log(`logs in ${logDir}; \`lab down\` stops what was started`);
  return 0;
}
