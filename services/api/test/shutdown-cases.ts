/**
 * The blocking modes that run on the api's main thread and check the stop flag, each with the
 * signal to send during a block: `[mode, signal]`. chunked and child-process leave the loop
 * free (a plain signal handler already works there), so they are not listed. Used by
 * test/shutdown.test.ts and bench/shutdown.ts.
 */
export const STOP_FLAG_CASES: readonly (readonly [mode: string, signal: NodeJS.Signals])[] = [
  ['sleep', 'SIGTERM'],
  ['cpu', 'SIGTERM'],
  ['sync-io', 'SIGTERM'],
  ['json', 'SIGTERM'],
  ['regex', 'SIGTERM'],
  ['microtask', 'SIGTERM'],
  ['sleep', 'SIGINT'],
];
