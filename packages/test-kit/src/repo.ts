// Paths and file readers shared by the grafana package's tests, which check artefacts across the
// repo (prometheus/, docker-compose.yml, Dockerfile, docs/) against each other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** Repo root, from grafana/dist/test/support/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export function repoPath(...segments: string[]): string {
  return join(REPO_ROOT, ...segments);
}

export function readText(relativePath: string): string {
  return readFileSync(repoPath(relativePath), 'utf8');
}

export function readYaml<T = unknown>(relativePath: string): T {
  return parse(readText(relativePath)) as T;
}

export interface RecordingRule {
  record: string;
  expr: string;
  group: string;
}

interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ record?: string; alert?: string; expr: string }> }>;
}

export function recordingRules(): RecordingRule[] {
  const file = readYaml<RuleFile>('prometheus/rules/recording.yml');
  return file.groups.flatMap((group) =>
    group.rules.map((rule) => {
      if (!rule.record)
        throw new Error(`prometheus/rules/recording.yml group ${group.name}: a rule without "record" (alerts belong in alerts.yml)`);
      return { record: rule.record, expr: rule.expr, group: group.name };
    }),
  );
}

export interface PrometheusConfig {
  global: { scrape_interval: string; scrape_timeout?: string; evaluation_interval: string };
  rule_files: string[];
  scrape_configs: Array<{ job_name: string; static_configs?: Array<{ targets: string[] }>; [key: string]: unknown }>;
}

export function prometheusConfig(): PrometheusConfig {
  return readYaml<PrometheusConfig>('prometheus/prometheus.yml');
}

/** job name -> its targets ("host:port"). */
export function scrapeTargets(config: PrometheusConfig = prometheusConfig()): Map<string, string[]> {
  return new Map(config.scrape_configs.map((job) => [job.job_name, (job.static_configs ?? []).flatMap((s) => s.targets)]));
}

/** Prometheus durations as used in this repo ("2s", "1500ms", "1m") in milliseconds. */
export function durationMs(text: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`unsupported duration "${text}": expected <integer>(ms|s|m|h)`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * factor;
}
