// `lab run <name|file>`: uses running services, or starts them for the run and stops them
// after; restores a healthy service on every exit path (the runner does, see run.ts in
// scenarios), including an uncaught exception; writes the report folder; exits 0 / 1 / 2.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { type Report, loadScenario, oneLine, runScenario, terminalSummary, writeReport } from '@runtime-lab/scenarios';
import { alertsFromPrometheus } from '../alerts-from.js';
import { CliError } from '../errors.js';
import { type Parsed, parseArgs, portOption, stringOption } from '../args.js';
import { redactText } from '@runtime-lab/values';
import { LAB_ALERT_RULES, REPORTS_DIR } from '../paths.js';
import { DEFAULT_PORTS, isHealthy, type ServicePorts, type StartedService, startServices, stopServices, urlsFor } from '../services.js';

/** A line for the terminal, without a credential a typed URL or an error may carry. */
const shown = (line: string): string => redactText(line, [process.env.LAB_ADMIN_TOKEN]);

const RUN_OPTIONS = {
  quick: { value: false },
  out: { value: true },
  api: { value: true },
  metrics: { value: true },
  'allow-remote': { value: false },
  'runner-port': { value: true },
  'no-start': { value: false },
  start: { value: false },
  rules: { value: true },
  'alerts-from': { value: true },
} as const;

/** `--alerts-from URL`: a Prometheus that scraped the run (http or https), or undefined. */
function prometheusUrl(parsed: Parsed): string | undefined {
  const value = stringOption(parsed, 'alerts-from');
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new CliError(
      'LAB_CLI_USAGE',
      `lab run --alerts-from must be a Prometheus base URL such as http://127.0.0.1:9090; got ${JSON.stringify(value)}`,
    );
  return value;
}

/** `--rules a.yml,b.yml`: the user's alert rule files; default: the lab's own (prometheus/rules/alerts.yml). */
function ruleFiles(parsed: Parsed): string[] {
  const option = stringOption(parsed, 'rules');
  if (option === undefined) return existsSync(LAB_ALERT_RULES) ? [LAB_ALERT_RULES] : [];
  const files = option
    .split(',')
    .filter(Boolean)
    .map((f) => resolve(f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0)
    throw new CliError(
      'LAB_CLI_USAGE',
      `lab run --rules: no such file: ${missing.join(', ')}; give Prometheus rule files, comma-separated`,
    );
  return files;
}

/** A free TCP port on the loopback (the OS picks it; closed again before the service takes it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * The ports `--start` starts the lab's services on: the api and its metrics where --api and
 * --metrics point (any free port for the metrics when --metrics is not given), downstream on free
 * ports. Only loopback addresses: these are local processes.
 */
async function portsToStart(apiUrl: string, metricsUrl: string | undefined): Promise<ServicePorts> {
  const portOf = (raw: string, option: string): number => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new CliError('LAB_CLI_USAGE', `--${option} ${raw} is not a URL; allowed: http://127.0.0.1:PORT…`);
    }
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || url.protocol !== 'http:') {
      throw new CliError(
        'LAB_CLI_USAGE',
        `--start runs the lab's services on this machine: --${option} ${raw} must be http://127.0.0.1:PORT (or localhost)`,
      );
    }
    const port = Number(url.port || 80);
    if (port === 0) throw new CliError('LAB_CLI_USAGE', `--start needs a fixed port in --${option} (got ${raw})`);
    return port;
  };
  return {
    apiPort: portOf(apiUrl, 'api'),
    apiMetricsPort: metricsUrl === undefined ? await freePort() : portOf(metricsUrl, 'metrics'),
    downstreamPort: await freePort(),
    downstreamMetricsPort: await freePort(),
  };
}

/** UTC, with its Z: "20261129-184701Z" (sorts as text, names the same instant everywhere). */
function timestamp(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}Z`;
}

export async function run(argv: string[]): Promise<number> {
  const parsed: Parsed = parseArgs(argv, RUN_OPTIONS);
  const [ref, ...extra] = parsed.positionals;
  if (!ref || extra.length > 0)
    throw new CliError('LAB_CLI_USAGE', 'give exactly one scenario name or file, e.g. `lab run blocking --quick`');
  const quick = parsed.options.quick === true;
  const rules = ruleFiles(parsed);
  const alertsFrom = prometheusUrl(parsed);
  const { scenario, source } = await loadScenario(ref);
  const runnerPort = portOption(parsed, 'runner-port', 9466, 'LAB_RUNNER_METRICS_PORT');
  const defaults = urlsFor(DEFAULT_PORTS);
  const explicitApi = stringOption(parsed, 'api') ?? process.env.LAB_API_URL;
  let apiUrl = explicitApi ?? defaults.apiUrl;
  const explicitMetrics = stringOption(parsed, 'metrics') ?? process.env.LAB_API_METRICS_URL;
  let metricsUrl = explicitMetrics ?? defaults.metricsUrl;
  const start = parsed.options.start === true;
  if (start && parsed.options['no-start']) throw new CliError('LAB_CLI_USAGE', 'lab run: --start and --no-start exclude each other');

  const controller = new AbortController();
  let started: StartedService[] = [];
  let signals = 0;
  const onSignal = (name: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) {
      process.stderr.write(`\n${name}: stopping the run and switching faults off…\n`);
      controller.abort(new Error(name));
      return;
    }
    // A second signal: stop waiting. Faults still expire on their own (their TTL).
    for (const s of started) s.child.kill('SIGKILL');
    process.exit(2);
  };
  // An exception nothing catches (in a callback, a stray promise) must not kill the process
  // before the faults are switched off: it aborts the run like a signal, and the run exits 2.
  let fatal: unknown;
  const onFatal = (error: unknown): void => {
    if (fatal !== undefined) return;
    fatal = error;
    process.stderr.write(shown(`\nunexpected error: ${oneLine(error)}; stopping the run and switching faults off…\n`));
    controller.abort(new Error(`unexpected error: ${oneLine(error)}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
  try {
    if (start) {
      // Asked for: the lab's own services, on the ports --api and --metrics name.
      const ports = explicitApi === undefined ? DEFAULT_PORTS : await portsToStart(apiUrl, explicitMetrics);
      console.log(`starting api (${urlsFor(ports).apiUrl}) and downstream for this run…`);
      const result = await startServices({ detached: true, ports });
      started = result.services;
      apiUrl = result.urls.apiUrl;
      metricsUrl = result.urls.metricsUrl;
    } else if (!explicitApi && !(await isHealthy(apiUrl))) {
      if (parsed.options['no-start'])
        throw new CliError('LAB_CLI_SERVICE_UNREACHABLE', `api not running at ${apiUrl} and --no-start given; start it with \`lab up\``);
      console.log('starting api and downstream for this run (`lab up` keeps them running between runs)…');
      // Detached: in a process group of their own, so Ctrl-C reaches only the runner, which
      // switches the faults off through them and stops them afterwards.
      const result = await startServices({ detached: true });
      started = result.services;
      apiUrl = result.urls.apiUrl;
      metricsUrl = result.urls.metricsUrl;
    }
    console.log(shown(`running ${scenario.name}${quick ? ' --quick' : ''} (${source}) against ${apiUrl}`));
    const report = await runScenario({
      scenario,
      source,
      quick,
      apiUrl,
      metricsUrl,
      allowRemote: parsed.options['allow-remote'] === true,
      runnerMetricsPort: runnerPort,
      // docker-compose.yml sets 0.0.0.0: Prometheus reaches the runner through the api container's interface.
      runnerMetricsHost: process.env.LAB_RUNNER_METRICS_HOST || undefined,
      progress: process.stderr,
      signal: controller.signal,
      log: (line) => console.log(shown(line)),
      rules,
    });
    if (alertsFrom && report.alerts) {
      console.log(shown(`replaying the alert rules over what ${alertsFrom} stored during the run…`));
      report.alerts = await alertsFromPrometheus(report, alertsFrom, rules);
    }
    const outDir = stringOption(parsed, 'out') ?? join(REPORTS_DIR, `${timestamp()}-${scenario.name}${quick ? '-quick' : ''}`);
    const files = writeReport(report, outDir);
    printSummary(report);
    const rel = (p: string): string => relative(process.cwd(), p) || p;
    console.log(`report: ${rel(files.html)} (also ${rel(files.markdown)}, ${rel(files.json)})`);
    if (fatal !== undefined) throw new CliError('LAB_CLI_RUN_FAILED', `unexpected error during the run: ${oneLine(fatal)}`);
    return report.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (started.length) await stopServices(started);
    process.off('uncaughtException', onFatal);
    process.off('unhandledRejection', onFatal);
  }
}

function printSummary(report: Report): void {
  for (const line of terminalSummary(report)) console.log(line);
}
