// Errors with stable codes, one catalogue for the package. The CLI prints `message` as one
// line and exits with `exitCode`; a stack trace is never what a user sees for these.

import { LabError } from '@runtime-lab/values';

export type EngineErrorCode =
  | 'LAB_SCENARIO_INVALID'
  | 'LAB_SCENARIO_NOT_FOUND'
  | 'LAB_TARGET_NOT_ALLOWED'
  | 'LAB_SERVICE_UNREACHABLE'
  | 'LAB_ADMIN_API_MISSING'
  | 'LAB_SIGNAL_UNAVAILABLE'
  | 'LAB_FAULT_REJECTED'
  | 'LAB_RESTORE_FAILED'
  | 'LAB_INTERRUPTED'
  | 'LAB_RUN_FAILED'
  | 'LAB_REPORT_INVALID'
  | 'LAB_USAGE';

export class EngineError extends LabError<EngineErrorCode> {
  /** exitCode: for the CLI, 2 means the run could not be carried out. */
  constructor(code: EngineErrorCode, message: string, exitCode = 2) {
    super(code, message, { exitCode });
  }
}

export class ScenarioError extends EngineError {
  readonly file: string;
  readonly field: string;

  /** `problem` says what was wrong, `allowed` what would be accepted. */
  constructor(file: string, field: string, problem: string, allowed?: string) {
    super('LAB_SCENARIO_INVALID', `${file}: ${field}: ${problem}${allowed ? `; allowed: ${allowed}` : ''}`);
    this.name = 'ScenarioError';
    this.file = file;
    this.field = field;
  }
}

export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
