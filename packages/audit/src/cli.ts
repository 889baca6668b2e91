// `lab audit ...`: packages/cli hands over the arguments after `audit`. Never throws: every
// outcome is an exit code (0 healthy, 1 findings at or above --fail-on, 2 usage/config/connection)
// and a message, one line for errors, no stack trace.

import { writeFileSync } from 'node:fs';
import { redactText } from '@runtime-lab/values';
import { metricsAlerts, prometheusAlerts } from './alert-timeline.js';
import { type AuditArgs, HELP, parseAuditArgs } from './args.js';
import { AuditError } from './errors.js';
import { formatJson } from './format/json.js';
import { formatJunit } from './format/junit.js';
import { formatText } from './format/text.js';
import { writeDefaultConfig } from './init.js';
import { type AuditReport, buildReport, exitCodeFor } from './report.js';
import { sampleMetrics } from './sources/metrics.js';
import { queryPrometheus } from './sources/prometheus.js';
import { withRuleSet } from './rule-set.js';
import { loadThresholds } from './thresholds.js';

export interface AuditIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Runs the audit the arguments describe and returns its report (throws AuditError on failure). */
export async function runAudit(args: AuditArgs, env: NodeJS.ProcessEnv = process.env): Promise<AuditReport> {
  const configPath = args.config ?? (env.LAB_AUDIT_CONFIG || undefined);
  const thresholds = loadThresholds(configPath);
  return withRuleSet(args.rules, thresholds, async (rules) => {
    if (args.prometheus) {
      const url = args.prometheus;
      const { series, source } = await queryPrometheus(
        { url, windowSeconds: args.windowSeconds, endMs: args.endMs ?? Date.now(), stepSeconds: args.stepSeconds, selector: args.selector },
        thresholds,
      );
      const alerts = await prometheusAlerts(url, { startMs: source.startMs, endMs: source.endMs }, args.selector, rules);
      return buildReport(series, thresholds, source, args.failOn, alerts);
    }
    const { series, source, history } = await sampleMetrics(
      { urls: args.metrics, durationSeconds: args.durationSeconds, intervalSeconds: args.intervalSeconds },
      thresholds,
    );
    const alerts = await metricsAlerts(history, { startMs: source.startMs, endMs: source.endMs }, args.intervalSeconds, rules);
    return buildReport(series, thresholds, source, args.failOn, alerts);
  });
}

export function formatReport(report: AuditReport, format: AuditArgs['format']): string {
  if (format === 'json') return formatJson(report);
  if (format === 'junit') return formatJunit(report);
  return formatText(report);
}

export async function runAuditCli(argv: string[], io: AuditIo = process): Promise<number> {
  try {
    const args = parseAuditArgs(argv);
    if (args.command === 'help') {
      io.stdout.write(HELP);
      return 0;
    }
    if (args.command === 'init') {
      writeDefaultConfig(args.initPath, args.force);
      io.stdout.write(`lab audit: wrote ${args.initPath}; tune it, then run lab audit --config ${args.initPath} ...\n`);
      return 0;
    }
    const report = await runAudit(args);
    // Reports are shared (CI artefacts): a credential in a URL the user typed stays out of them.
    const text = redactText(formatReport(report, args.format), [process.env.LAB_ADMIN_TOKEN]);
    const code = exitCodeFor(report);
    if (args.output) {
      try {
        writeFileSync(args.output, text);
      } catch (error) {
        throw new AuditError('LAB_AUDIT_USAGE', `cannot write --output ${args.output}: ${(error as NodeJS.ErrnoException).code ?? error}`);
      }
      io.stdout.write(`lab audit: ${report.status.toUpperCase()}, ${args.format} report written to ${args.output}; exit ${code}\n`);
    } else {
      io.stdout.write(text);
    }
    return code;
  } catch (error) {
    const message = error instanceof AuditError ? error.message : `internal error: ${(error as Error)?.message ?? String(error)}`;
    io.stderr.write(redactText(`lab audit: ${message.split('\n')[0]}\n`, [process.env.LAB_ADMIN_TOKEN]));
    return 2;
  }
}
