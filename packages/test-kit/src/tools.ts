// Running the external tools the checks need (promtool, docker-compose, prometheus, pnpm), with
// a clear failure that names the missing binary and how to install it.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { REPO_ROOT } from './repo.js';

const INSTALL_HINTS: Record<string, string> = {
  promtool: "Debian's prometheus package: apt-get install prometheus (bash scripts/install-system-deps.sh does it as root)",
  prometheus: "Debian's prometheus package: apt-get install prometheus (bash scripts/install-system-deps.sh does it as root)",
  'docker-compose': "Debian's docker-compose 1.29: apt-get install docker-compose (bash scripts/install-system-deps.sh does it as root)",
  pnpm: 'pnpm 12: bash scripts/bootstrap.sh installs it into .lab/tools',
  docker: "Debian's docker.io: apt-get install docker.io (bash scripts/install-system-deps.sh does it as root)",
  dockerd: "Debian's docker.io: apt-get install docker.io (bash scripts/install-system-deps.sh does it as root)",
  debootstrap: 'apt-get install debootstrap (bash scripts/install-system-deps.sh does it as root)',
};

export function findBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

export function requireBinary(name: string): string {
  const path = findBinary(name);
  if (!path) throw new Error(`${name} is not on PATH; this check runs the real tool. Install ${INSTALL_HINTS[name] ?? name}.`);
  return path;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool found on PATH (or given by path) to completion and returns its output. */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): RunResult {
  const result = spawnSync(command.includes('/') ? command : requireBinary(command), args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
