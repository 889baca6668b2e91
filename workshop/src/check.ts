// `lab workshop check`: what an attendee runs on their laptop before the day. Each item is OK,
// WARN (the workshop works, with a limit said in the line) or FAIL (fix it first).
import { spawnSync } from 'node:child_process';
import { existsSync, statfsSync } from 'node:fs';
import { createServer } from 'node:net';

export type Status = 'OK' | 'WARN' | 'FAIL';

export interface CheckItem {
  status: Status;
  name: string;
  detail: string;
}

export interface PortToCheck {
  name: string;
  port: number;
  /** The environment variable that moves it. */
  env: string;
  /** Who follows `env`; default: lab up, the auto-start of lab run, and docker compose (the same name there). */
  followedBy?: string;
  /** When docker compose moves its host port with another variable than `env`. */
  composeEnv?: string;
  /** When this URL answers 2xx, the port is held by the lab itself (or, for Prometheus, a Prometheus): fine. */
  labUrl?: string;
}

export interface LaptopCheckOptions {
  repoRoot: string;
  ports: PortToCheck[];
  nodeVersion?: string;
  /** Files that exist once `pnpm build` ran. */
  builtFiles: string[];
}

const SUPPORTED_NODE = [22, 24, 26];

export function checkNode(version = process.versions.node): CheckItem {
  const major = Number(version.split('.')[0]);
  if (SUPPORTED_NODE.includes(major))
    return { status: 'OK', name: 'Node.js', detail: `v${version} (supported lines: ${SUPPORTED_NODE.join(', ')})` };
  if (major < 22) {
    return {
      status: 'FAIL',
      name: 'Node.js',
      detail: `v${version} is not supported: the lab's packages require Node >= 22 (engines) and are tested on ${SUPPORTED_NODE.join(', ')}; on 20 things may start but nothing is tested there. Install Node 24 (e.g. \`nvm install 24\`).`,
    };
  }
  return {
    status: 'WARN',
    name: 'Node.js',
    detail: `v${version} is not a line the lab is tested on (${SUPPORTED_NODE.join(', ')}); it will probably work`,
  };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

export async function checkPort(p: PortToCheck): Promise<CheckItem> {
  const name = `port ${p.port} (${p.name})`;
  if (await portFree(p.port)) return { status: 'OK', name, detail: 'free' };
  if (p.labUrl && (await answers(p.labUrl)))
    return { status: 'OK', name, detail: `in use by the lab (\`lab up\` or compose is running: ${p.labUrl} answers)` };
  return {
    status: 'WARN',
    name,
    detail:
      `in use by another program: move the lab off it with \`export ${p.env}=<free port>\` (${p.followedBy ?? 'lab up, the auto-start of lab run and docker compose all follow it'})` +
      (p.composeEnv ? `; docker compose moves its host port with \`export ${p.composeEnv}=<free port>\`` : ''),
  };
}

function run(command: string, args: string[], cwd?: string): { ok: boolean; out: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 15_000 });
  return { ok: result.status === 0, out: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

export function checkDocker(repoRoot: string): CheckItem[] {
  const server = run('docker', ['version', '--format', '{{.Server.Version}}']);
  if (!server.ok) {
    const why = server.out.includes('ENOENT') || server.out === '' ? 'not installed' : 'installed, but the engine does not answer';
    return [{ status: 'WARN', name: 'Docker', detail: `${why}: use the native lab (lab up / lab run); the compose path needs Docker` }];
  }
  const items: CheckItem[] = [{ status: 'OK', name: 'Docker', detail: `engine ${server.out.split('\n')[0]}` }];
  const images = run('docker', ['compose', 'config', '--images'], repoRoot);
  if (!images.ok)
    return [...items, { status: 'WARN', name: 'compose images', detail: `docker compose config failed: ${images.out.split('\n')[0]}` }];
  const missing = images.out
    .split('\n')
    .filter(Boolean)
    .filter((image) => !run('docker', ['image', 'inspect', image]).ok);
  items.push(
    missing.length === 0
      ? { status: 'OK', name: 'compose images', detail: 'all present (the compose path works offline)' }
      : {
          status: 'WARN',
          name: 'compose images',
          detail: `missing: ${missing.join(', ')}; before the day, with network: docker compose pull && docker compose build`,
        },
  );
  return items;
}

export function checkPrometheus(): CheckItem {
  const version = run('prometheus', ['--version']);
  if (version.ok) return { status: 'OK', name: 'Prometheus', detail: version.out.split('\n')[0] ?? 'installed' };
  return {
    status: 'WARN',
    name: 'Prometheus',
    detail:
      'not installed: lab run, reports and verify work without it; the PromQL steps need it (Debian/Ubuntu: apt-get install prometheus; or the compose path)',
  };
}

const GB = 1024 ** 3;

export function checkDisk(path: string): CheckItem {
  const stats = statfsSync(path);
  const free = stats.bavail * stats.bsize;
  const detail = `${(free / GB).toFixed(1)} GB free where the repository is`;
  if (free < 1 * GB) return { status: 'FAIL', name: 'disk', detail: `${detail}: reports and the build need at least 1 GB` };
  if (free < 4 * GB)
    return { status: 'WARN', name: 'disk', detail: `${detail}: enough for the native lab; the compose images need about 4 GB` };
  return { status: 'OK', name: 'disk', detail };
}

export function checkBuilt(files: string[]): CheckItem {
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length === 0) return { status: 'OK', name: 'build', detail: 'the services are built' };
  return {
    status: 'FAIL',
    name: 'build',
    detail: `not built (${missing.length} file(s) missing, e.g. ${missing[0]}): run pnpm install && pnpm build`,
  };
}

export async function laptopCheck(options: LaptopCheckOptions): Promise<CheckItem[]> {
  const items: CheckItem[] = [checkNode(options.nodeVersion), checkBuilt(options.builtFiles)];
  for (const p of options.ports) items.push(await checkPort(p));
  items.push(...checkDocker(options.repoRoot), checkPrometheus(), checkDisk(options.repoRoot));
  return items;
}
