import type { AuditState } from './audit-loader.js';

export function helpText(audit: AuditState): string {
  const auditLine =
    audit.kind === 'ready'
      ? '  lab audit ...                     runtime-health gate (see `lab audit --help`)\n'
      : audit.kind === 'broken'
        ? `  lab audit                         unavailable: ${audit.reason}\n`
        : '';
  return `lab: runtime-lab's command line

Usage:
  lab up [--no-prometheus]          start api (8080, metrics 9464) and downstream (8081, metrics 9465) as local
                                    processes, plus Prometheus (9090) when it is installed; state in .lab/
  lab down                          stop exactly what \`lab up\` started
  lab run <name|file> [options]     run a scenario: faults per phase, warm and cold open-loop probes, liveness probe, load, verdict, report
      --quick                       the scenario's short profile (CI)
      --out DIR                     report folder (default reports/<time>-<name>/)
      --api URL                     target base URL: the lab api or any HTTP service (default $LAB_API_URL or
                                    http://127.0.0.1:8080; when no --api is given and nothing answers there, lab run
                                    starts the lab's services for the run and stops them after)
      --metrics URL                 the target's metrics (default $LAB_API_METRICS_URL or http://127.0.0.1:9464/metrics):
                                    the lab's telemetry plugin, prom-client's default metrics, or nothing (client-side
                                    signals only; the report lists the signals it could not see and why)
      --start                       start the lab's api and downstream for the run on the ports of --api (and
                                    --metrics), and stop them after
      --runner-port N|off           serve the runner's own metrics for Prometheus (default $LAB_RUNNER_METRICS_PORT or 9466)
      --allow-remote                allow targets other than loopback and compose service names
      --no-start                    fail instead of starting the services
      --rules A.yml[,B.yml]         alert rule files to evaluate over the run (default prometheus/rules/alerts.yml;
                                    needs promtool, else the report says the alerts were not evaluated)
      --alerts-from URL             take the alert timeline from the samples a Prometheus stored while it scraped
                                    the run (job "api"), e.g. lab up's http://127.0.0.1:9090: its times then agree
                                    with that Prometheus's ALERTS within one evaluation interval (needs lab audit)
  lab list                          the scenario catalogue
  lab fault [list]                  faults and mitigations, on or off          (all: --api URL)
  lab fault set <name> [k=v ...] [--ttl S]   switch one on, e.g. lab fault set blocking durationMs=300 routes=orders,ping
                                    (replaces its parameters and TTL; default TTL: lab fault --help)
  lab fault clear [name]            switch one off, or everything
  lab report <report.json> [--out DIR]       re-render report.md and report.html from report.json
  lab workshop <subcommand>         the workshop: list, show, run, answer, verify, mystery, progress, reset,
                                    check (see \`lab workshop --help\`)
${auditLine}  lab help                          this text

Ports: API_PORT, API_METRICS_PORT, DOWNSTREAM_PORT, DOWNSTREAM_METRICS_PORT (and PROMETHEUS_PORT for lab up)
move the native lab, as they move the compose one; lab up and lab run's auto-start follow them.

Exit codes:
  0  the scenario's expectations were met (other commands: success)
  1  an expectation failed
  2  the run could not be carried out: bad scenario file or arguments, service unreachable, interrupted
     (SIGINT/SIGTERM, or an unexpected error: faults are switched off before exiting), faults could not be
     restored, or inconclusive: an expectation held or failed only because the runner fell behind its
     send schedule (the report is still written and says which)
`;
}
