#!/usr/bin/env node
// Writes prometheus/rules/alerts.yml from prometheus/thresholds.yml.
// `--check` only compares and exits 1 when the committed file is stale (for CI and hooks).

import { readFileSync, writeFileSync } from 'node:fs';
import { alertRulesPath, renderAlertRules } from './alerts.js';
import { AuditError } from './errors.js';
import { loadThresholds } from './thresholds.js';

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const target = alertRulesPath();
  let expected: string;
  try {
    expected = renderAlertRules(loadThresholds());
  } catch (error) {
    if (!(error instanceof AuditError)) throw error;
    process.stderr.write(`generate-alerts: ${error.message}\n`);
    return 2;
  }
  if (!check) {
    writeFileSync(target, expected);
    process.stdout.write(`generate-alerts: wrote ${target}\n`);
    return 0;
  }
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // A missing file is stale too.
  }
  if (current === expected) return 0;
  process.stderr.write(`generate-alerts: ${target} is stale; run node packages/audit/dist/src/generate-alerts.js\n`);
  return 1;
}

process.exitCode = main(process.argv.slice(2));
