// Native Prometheus for the Docker-free lab: a config derived from prometheus/prometheus.yml
// (the compose one) with every target host pointed at 127.0.0.1 on the same port and the
// rule files made absolute, started with its data under .lab/. Exported for the Prometheus
// integration test, which runs the same derivation.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { describeNumberRule, readDecimal } from '@runtime-lab/values';
import { CliError } from './errors.js';
import { parse, stringify } from 'yaml';
import { LAB_DIR, PROMETHEUS_CONFIG } from './paths.js';

export interface DerivedConfigOptions {
  /** The compose config to derive from. */
  source?: string;
  /** Folder for the derived prometheus.yml. */
  outDir?: string;
  /** Rewrites a target's port, e.g. to point at services on ephemeral ports in a test. */
  portMap?: Record<number, number>;
  host?: string;
}

interface ScrapeConfig {
  static_configs?: { targets?: string[] }[];
}

const TARGET_PORT = { integer: true, min: 1, max: 65535 };

/** Writes the derived config; returns its path. */
export function writeNativePrometheusConfig(options: DerivedConfigOptions = {}): string {
  const source = options.source ?? PROMETHEUS_CONFIG;
  const outDir = options.outDir ?? join(LAB_DIR, 'prometheus');
  const host = options.host ?? '127.0.0.1';
  const config = parse(readFileSync(source, 'utf8')) as { rule_files?: string[]; scrape_configs?: ScrapeConfig[] };
  const base = dirname(resolve(source));
  config.rule_files = (config.rule_files ?? []).map((file) => (isAbsolute(file) ? file : resolve(base, file)));
  for (const scrape of config.scrape_configs ?? []) {
    for (const group of scrape.static_configs ?? []) {
      group.targets = (group.targets ?? []).map((target) => {
        // By the lab's one number rule: Number() would read "api:" as port 0 and "api:0x1F90" as 8080.
        const colon = target.lastIndexOf(':');
        const reading = colon < 0 ? undefined : readDecimal(target.slice(colon + 1), TARGET_PORT);
        if (!reading?.ok) {
          const why = reading ? `: port ${reading.problem}` : ' has no port';
          throw new CliError(
            'LAB_CLI_USAGE',
            `${source}: target ${JSON.stringify(target)}${why}; allowed: host:port with port ${describeNumberRule(TARGET_PORT)}`,
          );
        }
        const port = reading.value;
        return `${host}:${options.portMap?.[port] ?? port}`;
      });
    }
  }
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'prometheus.yml');
  writeFileSync(out, `# Derived from ${source} by lab up: do not edit.\n${stringify(config)}`);
  return out;
}

export function prometheusAvailable(): boolean {
  return spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface StartPrometheusOptions extends DerivedConfigOptions {
  listen?: string;
  dataDir?: string;
  logFile?: string;
  detached?: boolean;
}

export function startPrometheus(options: StartPrometheusOptions = {}): { child: ChildProcess; configFile: string; url: string } {
  const configFile = writeNativePrometheusConfig(options);
  const listen = options.listen ?? '127.0.0.1:9090';
  const dataDir = options.dataDir ?? join(LAB_DIR, 'prometheus', 'data');
  mkdirSync(dataDir, { recursive: true });
  let stdio: ('ignore' | number)[] = ['ignore', 'ignore', 'ignore'];
  if (options.logFile) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    const fd = openSync(options.logFile, 'a');
    stdio = ['ignore', fd, fd];
  }
  const child = spawn('prometheus', [`--config.file=${configFile}`, `--storage.tsdb.path=${dataDir}`, `--web.listen-address=${listen}`], {
    stdio,
    detached: options.detached ?? false,
  });
  if (options.detached) child.unref();
  return { child, configFile, url: `http://${listen}` };
}

export async function waitForPrometheus(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new CliError('LAB_CLI_SERVICE_UNREACHABLE', `prometheus did not become ready at ${url} within ${timeoutMs / 1000} s`);
}
