// The `lab` command's own errors, one catalogue with stable codes. main() prints any of them, or
// the scenario engine's EngineError, as one line and exits with its exitCode (2: the command
// could not be carried out); anything else is an unexpected error.

import { LabError } from '@runtime-lab/values';

export type CliErrorCode =
  /** Bad command line: unknown command or option, missing or malformed value. */
  | 'LAB_CLI_USAGE'
  /** A service or Prometheus that `lab` starts or needs did not come up. */
  | 'LAB_CLI_SERVICE_UNREACHABLE'
  /** Something unexpected ended a run (the engine restored the service first). */
  | 'LAB_CLI_RUN_FAILED';

export class CliError extends LabError<CliErrorCode> {}
