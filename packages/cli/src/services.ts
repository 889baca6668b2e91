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

export const DEFAULT_PORTS: ServicePorts = { apiPort: 8080, apiMetricsPort: 9464, downstreamPort: 8081, downstreamMetricsPort: 9465 };

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
      throw new CliError('LAB_CLI_SERVICE_UNREACHABLE', `something already answers ${url}/health (${name} port busy); stop it (\`lab down\`) or use --api`);
    }
  }
  const services: StartedService[] = [];
  try {
    const downstream = startOne(
      'downstream',
      DOWNSTREAM_ENTRY,
      { HOST: '127.0.0.1', PORT: String(ports.downstreamPort), METRICS_HOST: '127.0.0.1', METRICS_PORT: String(ports.downstreamMetricsPort) },
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
