// @runtime-lab/audit: `lab audit`, a CI gate for runtime health. packages/cli calls runAuditCli;
// the pieces are exported for tests and for other tools that want the same verdicts.
export {
  type AlertEpisode,
  type AlertSeries,
  type AlertsSection,
  type PrometheusIntervals,
  prometheusAlerts,
  prometheusIntervals,
  type RecordedAlerts,
} from './alert-timeline.js';
export { ALERT_GROUP, type AlertRule, alertRules, alertRulesPath, renderAlertRules } from './alerts.js';
export { type AuditArgs, DEFAULTS, type Format, HELP, parseAuditArgs } from './args.js';
export { type AuditIo, formatReport, runAudit, runAuditCli } from './cli.js';
export { formatDuration, parseDuration } from './duration.js';
export { AuditError, type AuditErrorCode, ThresholdsError } from './errors.js';
export { type Check, evaluateSeries, longestRun, type Point, type Series, type Severity, type Status, worstStatus } from './evaluate.js';
export { formatJson } from './format/json.js';
export { formatJunit } from './format/junit.js';
export { formatText } from './format/text.js';
export { writeDefaultConfig } from './init.js';
export { type AuditReport, buildReport, exitCodeFor, findingsOf, type SourceInfo } from './report.js';
export { RULE_IDS, RULES, type RuleDefinition, type RuleId, type Unit } from './rules.js';
export { type Attempt, seriesFromScrapes } from './scrape-points.js';
export { normalizeSelector } from './selector.js';
export { type MetricsSourceOptions, sampleMetrics } from './sources/metrics.js';
export { defaultStep, type PrometheusSourceOptions, queryPrometheus } from './sources/prometheus.js';
export { defaultThresholdsPath, loadThresholds, parseThresholds, type RuleThresholds, type Thresholds } from './thresholds.js';
export { formatValue } from './units.js';
