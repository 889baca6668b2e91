// Starting the real services as child processes (their own event loops, so a blocked api
// cannot distort the client's measurements), on ephemeral ports, and stopping them.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { send } from './http.js';

// main.js: each service under its signal supervisor, as `lab up` and the image start it.
export const API_SERVER = fileURLToPath(new URL('../src/main.js', import.meta.url));
export const DOWNSTREAM_SERVER = fileURLToPath(new URL('../../../downstream/dist/src/main.js', import.meta.url));
/** The api without its supervisor (SIGTERM during a block waits for the block). */
export const API_SERVER_ALONE = fileURLToPath(new URL('../src/server.js', import.meta.url));

export interface RunningService {
  url: string;
  metricsUrl: string;
  pid: number;
  child: ChildProcess;
  /** Lines the process printed after its readiness line (stdout and stderr). */
  output: string[];
  /** Resolves with the exit code (null when killed by a signal) and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startService(script: string, env: Record<string, string> = {}, timeoutMs = 20_000): Promise<RunningService> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A process that could not be spawned emits 'error' and never 'exit'.
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => output.push(line));
  let ready: { url: string; metricsUrl: string; pid: number };
  try {
    ready = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script} did not report listening within ${timeoutMs} ms: ${output.join('\n')}`)), timeoutMs);
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
          reject(new Error(`${script} printed an unreadable readiness line ${JSON.stringify(line)} (${(error as Error).message}): ${output.join('\n')}`));
        }
      });
    });
  } catch (error) {
    // Whatever went wrong, the caller never gets a handle to this process: it must not outlive the error.
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return { ...ready, child, output, exited };
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
export async function stopService(service: RunningService, graceMs = 8000): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
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

/** Downstream, then the api pointing at it. */
export async function startLab(apiEnv: Record<string, string> = {}): Promise<Lab> {
  const downstream = await startService(DOWNSTREAM_SERVER);
  let api: RunningService;
  try {
    api = await startService(API_SERVER, { DOWNSTREAM_URL: downstream.url, ...apiEnv });
  } catch (error) {
    await stopService(downstream);
    throw error;
  }
  // Open the client's keep-alive sockets now: otherwise the first stalled phase also pays for
  // accepting new connections (each accept and first read waits a whole stalled loop turn),
  // and phases would not compare like for like.
  await Promise.all(Array.from({ length: 64 }, () => send(`${api.url}/api/ping`)));
  return {
    api,
    downstream,
    stop: async () => {
      await Promise.all([stopService(api), stopService(downstream)]);
    },
  };
}
