// Writes a report folder: report.json (+ its schema), report.md, report.html. Also reads a
// report.json back for `lab report`, validating it against the schema first.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { EngineError } from '../errors.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { REPORT_SCHEMA_VERSION, type Report, ReportSchema, reportJsonSchema } from './schema.js';

export interface WrittenReport {
  dir: string;
  json: string;
  markdown: string;
  html: string;
}

export function writeReport(report: Report, dir: string, { json = true } = {}): WrittenReport {
  mkdirSync(dir, { recursive: true });
  const files = { dir, json: join(dir, 'report.json'), markdown: join(dir, 'report.md'), html: join(dir, 'report.html') };
  if (json) {
    writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(dir, 'report.schema.json'), reportJsonSchema());
  }
  writeFileSync(files.markdown, renderMarkdown(report));
  writeFileSync(files.html, renderHtml(report));
  return files;
}

/** The schema violations of `value`, as "path: message" lines (empty when valid). */
export function reportProblems(value: unknown): string[] {
  return [...Value.Errors(ReportSchema, value)].slice(0, 5).map((e) => `${e.path || '/'}: ${e.message}`);
}

export function readReport(file: string): Report {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new EngineError('LAB_REPORT_INVALID', `${file}: cannot read as JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const version = (value as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version !== REPORT_SCHEMA_VERSION) {
    throw new EngineError(
      'LAB_REPORT_INVALID',
      `${file} is a version ${version} report; this lab renders version ${REPORT_SCHEMA_VERSION} (warm and cold probes, the liveness verdict, first and sustained crossings, a lead-time row per load stream): run the scenario again to get one`,
    );
  }
  const problems = reportProblems(value);
  if (problems.length > 0) throw new EngineError('LAB_REPORT_INVALID', `${file} is not a runtime-lab report: ${problems.join('; ')}`);
  return value as Report;
}
