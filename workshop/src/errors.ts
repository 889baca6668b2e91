// The workshop's errors, one catalogue with stable codes. The `lab workshop` command prints one
// as a single line and exits 2 (the command could not be carried out); a wrong answer or a
// failed verify is not an error but a result (exit 1).

import { LabError } from '@runtime-lab/values';

export type WorkshopErrorCode =
  /** A module file is malformed: the message names the file, the field and what is allowed. */
  | 'LAB_WORKSHOP_MODULE'
  /** Bad input on the command line: unknown module, question, exercise, kind or choice. */
  | 'LAB_WORKSHOP_USAGE'
  /** Something verify or mystery needs could not run: a service that did not start, no api. */
  | 'LAB_WORKSHOP_UNAVAILABLE';

export class WorkshopError extends LabError<WorkshopErrorCode> {}
