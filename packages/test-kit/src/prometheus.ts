// Debian's real `prometheus` binary for tests: a temp config and storage dir, an ephemeral
// port, 1 s scrapes, and the committed alert rules loaded so their alerts can be checked too.

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { stopChild } from './process.js';
import { REPO_ROOT as ROOT } from './repo.js';

export interface PrometheusServer {
  url: string;
  stop(): Promise<void>;
}

export async function startPrometheus(dir: string, targets: Record<string, string>): Promise<PrometheusServer> {
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 900ms',
    '  evaluation_interval: 1s',
    'rule_files:',
    `  - ${JSON.stringify(join(ROOT, 'prometheus/rules/alerts.yml'))}`,
    'scrape_configs:',
    ...Object.entries(targets).flatMap(([job, hostPort]) => [
      `  - job_name: ${job}`,
      '    static_configs:',
      `      - targets: [${JSON.stringify(hostPort)}]`,
    ]),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })).ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prometheus not ready within 30 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    stop: () => stopChild(child, 10_000),
  };
}

export interface FiringAlert {
  labels: Record<string, string>;
  state: string;
}

export async function alertsOf(url: string): Promise<FiringAlert[]> {
  const response = await fetch(`${url}/api/v1/alerts`, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as { data: { alerts: FiringAlert[] } };
  return body.data.alerts;
}

/**
 * A user's own alert rule file (Prometheus rule YAML), as the `--rules FILE` tests pass it:
 * UserLoopStalled = the api job's loop-delay max gauge above 300 ms, held 2 s, then any
 * `extraRules` (YAML lines indented as rules of the group).
 */
export function userRuleFile(extraRules: string[] = []): string {
  return [
    'groups:',
    '  - name: user',
    '    rules:',
    '      - alert: UserLoopStalled',
    '        expr: max by (job) (runtime_eventloop_delay_max_seconds{job="api"}) > 0.3',
    '        for: 2s',
    ...extraRules,
    '',
  ].join('\n');
}
