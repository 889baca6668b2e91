// Starts the api and downstream as local processes (the embedded, Docker-free lab), waits
// for their /health, and stops exactly the processes it started.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors.js';
import { API_ENTRY, DOWNSTREAM_ENTRY, REPO_ROOT } from './paths.js';

export interface ServicePorts {
  apiPort: number;
  apiMetricsPort: number;
  downstreamPort: number;
  downstreamMetricsPort: number;
}

/** The lab's ports when nothing moves them. */
export const STANDARD_PORTS: ServicePorts = { apiPort: 8080, apiMetricsPort: 9464, downstreamPort: 8081, downstreamMetricsPort: 9465 };

/**
 * Environment variables that move the native lab's ports: the same names docker-compose.yml uses
 * for its host ports, so one `export API_PORT=18080` moves both. `lab up`, the auto-start of
 * `lab run` and the default URLs of every command follow them.
 */
export const PORT_ENV: Record<keyof ServicePorts, string> = {
  apiPort: 'API_PORT',
  apiMetricsPort: 'API_METRICS_PORT',
  downstreamPort: 'DOWNSTREAM_PORT',
  downstreamMetricsPort: 'DOWNSTREAM_METRICS_PORT',
};

/** The ports from `env` (PORT_ENV), the standard ones where unset; a bad value is a usage error. */
export function portsFromEnv(env: NodeJS.ProcessEnv = process.env): ServicePorts {
  const ports = { ...STANDARD_PORTS };
  for (const key of Object.keys(PORT_ENV) as (keyof ServicePorts)[]) {
    const raw = env[PORT_ENV[key]];
    if (raw === undefined || raw === '') continue;
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw new CliError('LAB_CLI_USAGE', `${PORT_ENV[key]}=${raw} is not a port; allowed: 1-65535`);
    ports[key] = port;
  }
  return ports;
}

/** The ports every command uses by default (read once; see PORT_ENV). */
export const DEFAULT_PORTS: ServicePorts = (() => {
  try {
    return portsFromEnv();
  } catch {
    // main() reports the bad variable (checkPortEnv); until then the standard ports stand in
    return { ...STANDARD_PORTS };
  }
})();

/** Prometheus's port for `lab up` (PROMETHEUS_PORT, as in docker-compose.yml; default 9090). */
export function prometheusPort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PROMETHEUS_PORT;
  if (raw === undefined || raw === '') return 9090;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new CliError('LAB_CLI_USAGE', `PROMETHEUS_PORT=${raw} is not a port; allowed: 1-65535`);
  return port;
}

/** Throws the usage error for a bad port variable (main() calls it before any command). */
export function checkPortEnv(): void {
  portsFromEnv();
  prometheusPort();
}

export interface ServiceUrls {
  apiUrl: string;
  metricsUrl: string;
  downstreamUrl: string;
  downstreamMetricsUrl: string;
}

export function urlsFor(ports: ServicePorts, host = '127.0.0.1'): ServiceUrls {
  return {
    apiUrl: `http://${host}:${ports.apiPort}`,
    metricsUrl: `http://${host}:${ports.apiMetricsPort}/metrics`,
    downstreamUrl: `http://${host}:${ports.downstreamPort}`,
    downstreamMetricsUrl: `http://${host}:${ports.downstreamMetricsPort}/metrics`,
  };
}

export interface StartedService {
  name: 'api' | 'downstream';
  child: ChildProcess;
}

export interface StartOptions {
  ports?: ServicePorts;
  /** Detached processes outlive this one (`lab up`); attached ones are children of the run. */
  detached?: boolean;
  /** Folder for the services' logs; defaults to inheriting nothing (ignored output). */
  logDir?: string;
  env?: NodeJS.ProcessEnv;
}

export async function isHealthy(url: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

export async function waitForHealth(url: string, child: ChildProcess | undefined, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new CliError('LAB_CLI_SERVICE_UNREACHABLE', `${name} exited with code ${child.exitCode} while starting (see its log)`);
    }
    if (await isHealthy(url)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new CliError('LAB_CLI_SERVICE_UNREACHABLE', `${name} did not answer ${url}/health within ${timeoutMs / 1000} s`);
}

function checkBuilt(): void {
  for (const entry of [API_ENTRY, DOWNSTREAM_ENTRY]) {
    if (!existsSync(entry)) throw new CliError('LAB_CLI_SERVICE_UNREACHABLE', `${entry} is missing; build first: pnpm build`);
  }
}

function startOne(name: 'api' | 'downstream', entry: string, env: NodeJS.ProcessEnv, options: StartOptions): StartedService {
  let stdio: ('ignore' | number)[] = ['ignore', 'ignore', 'ignore'];
  if (options.logDir) {
    mkdirSync(options.logDir, { recursive: true });
    const log = openSync(join(options.logDir, `${name}.log`), 'a');
    stdio = ['ignore', log, log];
  }
  const child = spawn(process.execPath, [entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env, ...env },
    stdio,
    detached: options.detached ?? false,
  });
  if (options.detached) child.unref();
  return { name, child };
}

/** Starts downstream then api, and waits until both answer /health. */
export async function startServices(options: StartOptions = {}): Promise<{ services: StartedService[]; urls: ServiceUrls }> {
  checkBuilt();
  const ports = options.ports ?? DEFAULT_PORTS;
  const urls = urlsFor(ports);
  for (const [name, url] of [
    ['api', urls.apiUrl],
    ['downstream', urls.downstreamUrl],
  ] as const) {
    if (await isHealthy(url, 500)) {
      throw new CliError(
        'LAB_CLI_SERVICE_UNREACHABLE',
        `something already answers ${url}/health (${name} port busy); stop it (\`lab down\`) or use --api`,
      );
    }
  }
  const services: StartedService[] = [];
  try {
    const downstream = startOne(
      'downstream',
      DOWNSTREAM_ENTRY,
      {
        HOST: '127.0.0.1',
        PORT: String(ports.downstreamPort),
        METRICS_HOST: '127.0.0.1',
        METRICS_PORT: String(ports.downstreamMetricsPort),
      },
      options,
    );
    services.push(downstream);
    const api = startOne(
      'api',
      API_ENTRY,
      {
        HOST: '127.0.0.1',
        PORT: String(ports.apiPort),
        METRICS_HOST: '127.0.0.1',
        METRICS_PORT: String(ports.apiMetricsPort),
        DOWNSTREAM_URL: urls.downstreamUrl,
      },
      options,
    );
    services.push(api);
    await waitForHealth(urls.downstreamUrl, downstream.child, 'downstream');
    await waitForHealth(urls.apiUrl, api.child, 'api');
  } catch (error) {
    await stopServices(services);
    throw error;
  }
  return { services, urls };
}

/** Stops the given processes: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopServices(services: StartedService[], graceMs = 5000): Promise<void> {
  await Promise.all(services.map((s) => stopPid(s.child.pid, graceMs, s.child)));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function stopPid(pid: number | undefined, graceMs = 5000, child?: ChildProcess): Promise<void> {
  if (pid === undefined || !isAlive(pid) || (child && child.exitCode !== null)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (child ? child.exitCode !== null || child.signalCode !== null : !isAlive(pid)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
