// The shape every package's error catalogue shares: a stable machine-readable `code` (callers
// branch on it, never on the message), a one-line `message` that names what was wrong and what
// is allowed, and the exit code a command line prints it with. Each package keeps its own
// subclass and code union (CliError, EngineError, AuditError, WorkshopError), so `instanceof`
// still tells whose error it is, and a command that runs another package's code can print any
// of them the same way by testing for LabError.

/** Options of a LabError besides its code and message. */
export interface LabErrorOptions {
  /** Exit code of a command that stops on this error. Default 2: the command could not be carried out. */
  exitCode?: number;
  /** The error this one reports (kept for debugging; never printed to users by the lab). */
  cause?: unknown;
}

/** Base of the lab's coded errors; `name` is the subclass's name. */
export class LabError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly exitCode: number;

  constructor(code: Code, message: string, options: LabErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = options.exitCode ?? 2;
  }
}
