// A reader that goes away early (`lab workshop show blocking | head`) closes the pipe: the next
// write fails with EPIPE, which Node raises as an 'error' event on process.stdout; unhandled, it
// kills the process with a stack trace in the middle of whatever it was doing (for `lab run`, before
// it restores the service's faults). Instead, output to a closed stream is dropped from then on and
// the command runs to its end and exits with its own code.

const CLOSED = new Set(['EPIPE', 'ERR_STREAM_DESTROYED']);

/** Drops further output to `stream` once its reader has closed it; any other write error still throws. */
export function tolerateClosedOutput(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (!CLOSED.has(error.code ?? '')) throw error;
    stream.write = (() => true) as typeof stream.write;
  });
}
