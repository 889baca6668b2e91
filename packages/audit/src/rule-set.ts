// Which alert rules the timeline evaluates: the user's --rules files, or by default the lab's
// alert rules generated from the thresholds the audit itself uses (so the timeline and the
// findings judge the same thresholds; for the lab's own file this is prometheus/rules/alerts.yml,
// which a test keeps identical to the generator's output).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { RuleSet } from './alert-timeline.js';
import { renderAlertRules } from './alerts.js';
import type { Thresholds } from './thresholds.js';

/** Calls `use` with the rule set, removing the generated file afterwards. */
export async function withRuleSet<T>(
  ruleFiles: readonly string[],
  thresholds: Thresholds,
  use: (rules: RuleSet) => Promise<T>,
): Promise<T> {
  if (ruleFiles.length > 0) return use({ files: [...ruleFiles], names: [...ruleFiles] });
  const dir = await mkdtemp(join(tmpdir(), 'lab-audit-rules-'));
  try {
    const file = join(dir, 'alerts.yml');
    await writeFile(file, renderAlertRules(thresholds, basename(thresholds.file)));
    return await use({ files: [file], names: [`the lab's alert rules generated from ${thresholds.file}`] });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
