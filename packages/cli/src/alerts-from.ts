// `lab run --alerts-from URL`: the report's alert timeline from the samples a Prometheus stored
// while it scraped the run, instead of from the runner's own scrapes. The runner and Prometheus
// read the watchdog at different instants, so their alert times can differ by one scrape plus one
// evaluation interval (docs/scenarios.md, "How close to a live Prometheus"); replayed over
// Prometheus's own samples at its own evaluation instants, the times agree with its ALERTS within
// one evaluation interval. The replay is the auditor's (`lab audit --prometheus`), loaded like
// `lab audit` is: the CLI runs without the auditor installed, and then this option says so.
import { type AlertsSection, alertsSection, type Report } from '@runtime-lab/scenarios';
import { CliError } from './errors.js';

type Audit = typeof import('@runtime-lab/audit');

async function loadAuditor(): Promise<Audit> {
  try {
    return (await import('@runtime-lab/audit')) as Audit;
  } catch (error) {
    throw new CliError('LAB_CLI_USAGE', `lab run --alerts-from needs @runtime-lab/audit, which did not load: ${(error as Error).message}`);
  }
}

/** What the report's alerts section is built from (the scrape package's AlertTimeline). */
type AlertTimeline = Parameters<typeof alertsSection>[0];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The report's alerts section, replayed over what `url` stored for the api's job (job="api", as
 * prometheus/prometheus.yml names it) between the run's start and end. Waits one scrape plus one
 * evaluation interval past the end first, so the run's last samples are in. Never throws for a
 * Prometheus problem: the section says the alerts were not evaluated, and why.
 */
export async function alertsFromPrometheus(report: Report, url: string, ruleFiles: readonly string[]): Promise<AlertsSection> {
  const audit = await loadAuditor();
  const startMs = Date.parse(report.alerts?.runTimeZero ?? report.startedAt);
  const endMs = startMs + report.wallSeconds * 1000;
  const started = performance.now();
  let timeline: AlertTimeline;
  try {
    const intervals = await audit.prometheusIntervals(url);
    await sleep(Math.max(0, endMs + (intervals.scrapeSeconds + intervals.evaluationSeconds) * 1000 - Date.now()));
    const section = await audit.prometheusAlerts(url, { startMs, endMs }, 'job="api"', { files: [...ruleFiles], names: [...ruleFiles] });
    timeline = section.evaluated
      ? {
          evaluated: true,
          evaluator: `${section.evaluator}, replayed over the samples ${url} stored for job="api"`,
          intervalSeconds: section.intervalSeconds ?? 1,
          endSeconds: report.wallSeconds,
          alerts: section.alerts.map((alert) => ({
            alertname: alert.alertname,
            labels: alert.labels,
            episodes: alert.episodes.map((e) => ({
              pendingAtSeconds: (e.pendingAtMs - startMs) / 1000,
              firingAtSeconds: e.firingAtMs === null ? null : (e.firingAtMs - startMs) / 1000,
              resolvedAtSeconds: e.resolvedAtMs === null ? null : (e.resolvedAtMs - startMs) / 1000,
            })),
          })),
        }
      : { evaluated: false, reason: `${section.reason ?? 'alerts not evaluated'} (--alerts-from ${url})` };
  } catch (error) {
    timeline = { evaluated: false, reason: `alerts not evaluated from ${url}: ${(error as Error).message}` };
  }
  return alertsSection(timeline, ruleFiles, report.leadTimeReference, (performance.now() - started) / 1000, startMs);
}
