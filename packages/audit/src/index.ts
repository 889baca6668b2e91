export { ALERT_GROUP, type AlertRule, alertRules, alertRulesPath, renderAlertRules } from './alerts.js';
export { formatDuration, parseDuration } from './duration.js';
export { AuditError, type AuditErrorCode, ConfigError } from './errors.js';
export { RULE_IDS, RULES, type RuleDefinition, type RuleId, type Unit } from './rules.js';
export { defaultThresholdsPath, loadThresholds, parseThresholds, type RuleThresholds, type Thresholds } from './thresholds.js';
export { formatValue } from './units.js';
