// Starting the real services as child processes (their own event loops, so a blocked api
// cannot distort the client's measurements), on ephemeral ports, and stopping them.
import { type ChildProcess, spawn } from 'node:child_process';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { send } from './http.js';
import { repoPath } from './repo.js';

/**
 * The services' built entry points (`pnpm build` first). Spawned by path: the kit imports no service.
 * main.js: each service under its signal supervisor, as `lab up` and the image start it.
 */
export const API_SERVER = repoPath('services/api/dist/src/main.js');
export const DOWNSTREAM_SERVER = repoPath('services/downstream/dist/src/main.js');
/** The api without its supervisor (SIGTERM during a block waits for the block). */
export const API_SERVER_ALONE = repoPath('services/api/dist/src/server.js');

export interface RunningService {
  /** What error messages call it: the name given to startService, or the script's file name. */
  name: string;
  url: string;
  metricsUrl: string;
  pid: number;
  child: ChildProcess;
  /** Lines the process printed after its readiness line (stdout and stderr). */
  output: string[];
  /** Resolves with the exit code (null when killed by a signal) and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stopService(this, graceMs): SIGTERM, then SIGKILL after graceMs (default 8000). */
  stop(graceMs?: number): Promise<StopResult>;
}

export interface StopResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
}

/** `api` for services/api/dist/src/main.js (every service's entry is main.js or server.js), else the file name. */
function nameOf(script: string): string {
  return /services\/([^/]+)\/dist\//.exec(script.replaceAll('\\', '/'))?.[1] ?? basename(script);
}

/**
 * Starts `node <script>` with PORT=0, METRICS_PORT=0 and loopback hosts (env overrides them; an
 * undefined value is left out) and resolves once it prints its `listening` line, with the URLs
 * from that line. A process that exits first, never reports within timeoutMs, prints an
 * unreadable line or serves no watchdog metrics is killed, and the error names it and carries
 * its output.
 */
export async function startService(
  script: string,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 20_000,
  name = nameOf(script),
): Promise<RunningService> {
  const defined = Object.fromEntries(Object.entries(env).filter((pair): pair is [string, string] => pair[1] !== undefined));
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', METRICS_HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...defined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A process that could not be spawned emits 'error' and never 'exit'.
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => output.push(line));
  let ready: { url: string; metricsUrl: string | undefined; pid: number };
  try {
    ready = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${script} did not report listening within ${timeoutMs} ms: ${output.join('\n')}`)),
        timeoutMs,
      );
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited (${code ?? signal}) before listening: ${output.join('\n')}`));
      });
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        output.push(line);
        if (!line.includes('"listening"')) return;
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line));
        } catch (error) {
          reject(
            new Error(
              `${script} printed an unreadable readiness line ${JSON.stringify(line)} (${(error as Error).message}): ${output.join('\n')}`,
            ),
          );
        }
      });
    });
    if (!ready.metricsUrl) throw new Error(`${script} started without its watchdog metrics endpoint: ${output.join('\n')}`);
  } catch (error) {
    // Whatever went wrong, the caller never gets a handle to this process: it must not outlive the error.
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${name}: ${(error as Error).message}`);
  }
  const service: RunningService = {
    ...ready,
    metricsUrl: ready.metricsUrl,
    name,
    child,
    output,
    exited,
    stop: (graceMs) => stopService(service, graceMs),
  };
  return service;
}

/** Whether a process with this pid exists (signal 0 probes without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL if it has not exited after graceMs. Resolves with how it ended. */
export async function stopService(service: Pick<RunningService, 'child' | 'exited'>, graceMs = 8000): Promise<StopResult> {
  const started = performance.now();
  if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), graceMs);
  const result = await service.exited;
  clearTimeout(timer);
  return { ...result, ms: performance.now() - started };
}

export interface Lab {
  api: RunningService;
  downstream: RunningService;
  stop(): Promise<void>;
}

export interface LabOptions {
  /** For both services. */
  env?: NodeJS.ProcessEnv;
  /** For the api only (after env; DOWNSTREAM_URL is set to the downstream just started). */
  apiEnv?: NodeJS.ProcessEnv;
  /** Per service. Default 20 s. */
  timeoutMs?: number;
}

/** Downstream, then the api pointed at it: the pair the lab runs. */
export async function startLabServices(options: LabOptions = {}): Promise<Lab> {
  const { env = {}, apiEnv = {}, timeoutMs = 20_000 } = options;
  const downstream = await startService(DOWNSTREAM_SERVER, env, timeoutMs, 'downstream');
  let api: RunningService;
  try {
    api = await startService(API_SERVER, { ...env, DOWNSTREAM_URL: downstream.url, ...apiEnv }, timeoutMs, 'api');
  } catch (error) {
    await stopService(downstream);
    throw error;
  }
  return {
    api,
    downstream,
    stop: async () => {
      await Promise.all([stopService(api), stopService(downstream)]);
    },
  };
}

/** startLabServices for measurements: the api gets apiEnv, and the client's keep-alive sockets are opened first. */
export async function startLab(apiEnv: Record<string, string> = {}): Promise<Lab> {
  const lab = await startLabServices({ apiEnv });
  // Open the client's keep-alive sockets now: otherwise the first stalled phase also pays for
  // accepting new connections (each accept and first read waits a whole stalled loop turn),
  // and phases would not compare like for like.
  await Promise.all(Array.from({ length: 64 }, () => send(`${lab.api.url}/api/ping`)));
  return lab;
}
