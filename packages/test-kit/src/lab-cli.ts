// Running the built `lab` command as a child process, as a user would.
import { spawn } from 'node:child_process';
import { repoPath } from './repo.js';

/** The CLI's built entry point (`pnpm build` first). */
export const BIN = repoPath('packages/cli/dist/src/bin.js');

/**
 * `lab run` options for a run against services the caller started (`--no-start`): load and faults
 * to `api.url`, samples from `api.metricsUrl`, the runner's own metrics on `runnerPort` (where a
 * test's Prometheus scrapes it), the report under `outDir`.
 */
export function runAgainstArgs(api: { url: string; metricsUrl: string }, runnerPort: number, outDir: string): string[] {
  return ['--no-start', '--api', api.url, '--metrics', api.metricsUrl, '--runner-port', String(runnerPort), '--out', outDir];
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function lab(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; onSpawn?: (pid: number) => void } = {},
): Promise<CliResult> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, CI: 'true', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid) options.onSpawn?.(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}
