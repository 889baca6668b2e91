// Starting the real lab services from their build output on ephemeral ports, as the tests need
// them: each announces where it listens in one JSON line on stdout ({"event":"listening",...}).
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './repo.js';

export interface RunningService {
  name: string;
  child: ChildProcess;
  url: string;
  metricsUrl: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

interface ListeningLine {
  event: 'listening';
  url: string;
  metricsUrl?: string;
}

export async function startService(name: string, entry: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<RunningService> {
  const child = spawn(process.execPath, [entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', METRICS_HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const listening = await new Promise<ListeningLine>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} (${entry}) did not announce "listening" within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} (${entry}) exited (${code ?? signal}) before listening; stderr: ${stderr}`));
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        const message = JSON.parse(line) as Partial<ListeningLine>;
        if (message.event === 'listening' && message.url) {
          clearTimeout(timer);
          resolve(message as ListeningLine);
        }
      } catch {
        // a log line, not the announcement
      }
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  if (!listening.metricsUrl) {
    await stop();
    throw new Error(`${name} started without its watchdog metrics endpoint`);
  }
  return { name, child, url: listening.url, metricsUrl: listening.metricsUrl, stop };
}

/** Downstream, then the api pointed at it: the pair the lab runs. */
export async function startLabServices(entries: { api: string; downstream: string }, env: NodeJS.ProcessEnv = {}): Promise<RunningService[]> {
  const downstream = await startService('downstream', entries.downstream, env);
  try {
    const api = await startService('api', entries.api, { ...env, DOWNSTREAM_URL: downstream.url });
    return [api, downstream];
  } catch (error) {
    await downstream.stop();
    throw error;
  }
}
