// One catalogue of the auditor's errors, each with a stable code (undici style), so the CLI can
// map every failure to exit 2 with a one-line message and callers can branch on `code`.

import { LabError } from '@runtime-lab/values';

export type AuditErrorCode =
  /** Bad command line: unknown option, missing value, conflicting sources. */
  | 'LAB_AUDIT_USAGE'
  /** The thresholds file is missing, is not YAML, or breaks the schema. */
  | 'LAB_AUDIT_CONFIG'
  /** The target (Prometheus or a metrics endpoint) could not be reached or answered garbage. */
  | 'LAB_AUDIT_CONNECTION'
  /** The target answered, but has nothing the auditor can judge (wrong endpoint or selector). */
  | 'LAB_AUDIT_NO_DATA';

export class AuditError extends LabError<AuditErrorCode> {}

/** A config error that points at a place in the file, printed as `file:line:col: reason`. */
export class ThresholdsError extends AuditError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly reason: string;

  constructor(file: string, line: number, column: number, reason: string) {
    super('LAB_AUDIT_CONFIG', `${file}:${line}:${column}: ${reason}`);
    this.name = 'ThresholdsError';
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}
