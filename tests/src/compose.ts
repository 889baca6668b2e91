// docker-compose.yml as Debian's docker-compose 1.29 resolves it (`docker-compose config`), and
// the Dockerfile's stages: what the compose cross-check test compares.
import { parse } from 'yaml';
import { readText, run } from '@runtime-lab/test-kit';

export interface ComposeService {
  image?: string;
  build?: { context: string; target?: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string | null>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number };
  depends_on?: Record<string, { condition: string }>;
  mem_limit?: string | number;
  network_mode?: string;
  profiles?: string[];
  init?: boolean;
}

export interface ResolvedCompose {
  services: Record<string, ComposeService>;
}

/** Variables the compose file reads: left out so `config` resolves the file's own defaults. */
export const COMPOSE_VARIABLES = [
  'LAB_BIND_ADDRESS',
  'API_PORT',
  'API_METRICS_PORT',
  'RUNNER_METRICS_PORT',
  'DOWNSTREAM_PORT',
  'DOWNSTREAM_METRICS_PORT',
  'PROMETHEUS_PORT',
  'GRAFANA_PORT',
  'GRAFANA_ADMIN_PASSWORD',
  'LAB_ADMIN_TOKEN',
];

export function composeConfig(overrides: Record<string, string> = {}): { resolved: ResolvedCompose; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of COMPOSE_VARIABLES) delete env[name];
  delete env.COMPOSE_PROFILES;
  delete env.COMPOSE_FILE;
  const result = run('docker-compose', ['--file', 'docker-compose.yml', 'config'], { env: { ...env, ...overrides } });
  if (result.status !== 0) throw new Error(`docker-compose config rejected docker-compose.yml:\n${result.stderr}`);
  return { resolved: parse(result.stdout) as ResolvedCompose, stderr: result.stderr };
}

export interface PortMapping {
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

/** "127.0.0.1:8080:8080/tcp" as resolved by docker-compose config. */
export function parsePort(spec: string): PortMapping {
  const match = /^(?:(\d+\.\d+\.\d+\.\d+):)?(\d+):(\d+)(?:\/tcp)?$/.exec(spec);
  if (!match) throw new Error(`unexpected port mapping "${spec}": expected ip:host:container`);
  return { hostIp: match[1] ?? '0.0.0.0', hostPort: Number(match[2]), containerPort: Number(match[3]) };
}

export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

export function parseVolume(spec: string): Mount {
  const [source = '', target = '', mode = 'rw'] = spec.split(':');
  return { source, target, readOnly: mode.split(',').includes('ro') };
}

/** Memory limits as resolved ("256m" or bytes) in MiB. */
export function mebibytes(limit: string | number): number {
  if (typeof limit === 'number') return limit / 2 ** 20;
  const match = /^(\d+)([kmg]?)b?$/i.exec(limit);
  if (!match) throw new Error(`unexpected mem_limit "${limit}"`);
  const unit = (match[2] ?? '').toLowerCase();
  const factor = unit === 'g' ? 1024 : unit === 'm' ? 1 : unit === 'k' ? 1 / 1024 : 1 / 2 ** 20;
  return Number(match[1]) * factor;
}

export interface DockerStage {
  name: string;
  from: string;
  /** Instructions in order, e.g. ["USER node", "CMD [...]"], continuation lines joined. */
  instructions: string[];
}

export function dockerfileStages(text: string = readText('Dockerfile')): DockerStage[] {
  const stages: DockerStage[] = [];
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) {
      stages.push({ name: from[2] ?? '', from: from[1] as string, instructions: [] });
      continue;
    }
    stages.at(-1)?.instructions.push(line);
  }
  return stages;
}

/** The stage and its ancestors (FROM <stage>), nearest first. */
export function stageChain(stages: DockerStage[], name: string): DockerStage[] {
  const chain: DockerStage[] = [];
  let current = stages.find((s) => s.name === name);
  while (current) {
    chain.push(current);
    const parent = current.from;
    current = stages.find((s) => s.name === parent);
  }
  return chain;
}

/** The last instruction of a kind (USER, CMD, ENTRYPOINT...) that applies to a stage. */
export function effective(stages: DockerStage[], name: string, keyword: string): string | undefined {
  for (const stage of stageChain(stages, name)) {
    const found = stage.instructions.filter((i) => i.toUpperCase().startsWith(`${keyword.toUpperCase()} `)).at(-1);
    if (found) return found.slice(keyword.length + 1).trim();
  }
  return undefined;
}

/** The Dockerfile's `pnpm deploy --filter <package> --prod <dir>` steps, in order. */
export function deploySteps(stages: DockerStage[] = dockerfileStages()): Array<{ filter: string; out: string }> {
  return stages.flatMap((stage) =>
    stage.instructions.flatMap((instruction) =>
      [...instruction.matchAll(/pnpm deploy --filter (\S+) --prod (\S+)/g)].map((m) => ({ filter: m[1] as string, out: m[2] as string })),
    ),
  );
}

/** Repo files the stages copy out of the build stage's checkout (`COPY --from=build /repo/<file> …`), repo-relative. */
export function repoFilesCopiedFromBuild(stages: DockerStage[] = dockerfileStages()): string[] {
  return stages.flatMap((stage) => stage.instructions.flatMap((i) => /^COPY --from=build \/repo\/(\S+) \S+$/.exec(i)?.[1] ?? []));
}

/** Default values of the ARGs declared before the first FROM (the ones FROM lines may use). */
export function globalArgDefaults(text: string = readText('Dockerfile')): Map<string, string> {
  const head = text.slice(0, text.search(/^FROM\s/im));
  return new Map([...head.matchAll(/^ARG\s+([A-Za-z_][A-Za-z0-9_]*)=(\S+)\s*$/gm)].map((m) => [m[1] as string, m[2] as string]));
}

/** The registry images the Dockerfile builds on: every FROM that is neither a stage nor scratch, ARGs resolved. */
export function baseImages(text: string = readText('Dockerfile')): string[] {
  const args = globalArgDefaults(text);
  const stages = dockerfileStages(text);
  const names = new Set(stages.map((s) => s.name));
  const images = stages
    .map((s) =>
      s.from.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args.get((a ?? b) as string) ?? ''),
    )
    .filter((from) => !names.has(from) && from !== 'scratch');
  return [...new Set(images)];
}

/**
 * The Dockerfile cut around one stage: `before` (the header and every earlier stage), the stage's
 * own text (its FROM line up to the next FROM line), and `after` (every later stage), so that
 * before + stage + after is the file, byte for byte.
 */
export function cutStage(text: string, name: string): { before: string; stage: string; after: string } {
  const from = new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${name}\\s*$`, 'im').exec(text);
  if (!from) throw new Error(`Dockerfile: no stage named "${name}"`);
  const rest = text.slice(from.index + from[0].length);
  const next = rest.search(/^FROM\s/im);
  const end = next === -1 ? text.length : from.index + from[0].length + next;
  return { before: text.slice(0, from.index), stage: text.slice(from.index, end), after: text.slice(end) };
}
