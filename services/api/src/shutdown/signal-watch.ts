// Starts the off-thread signal watch (see signal-watch-worker.ts). Best effort by design: any
// way it can fail (no worker, no binding, a signal it cannot watch, the worker dying) ends in
// { watching: false, reason }, never in a failed start-up; the caller logs the reason and the
// main thread's own SIGTERM/SIGINT handlers (serve.ts) still shut the service down, only after
// the current block ends instead of at once.
import { constants } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ServiceConfigError } from '@runtime-lab/service-kit';
import type { StopFlag } from '../faults/blocking-work.js';

export interface SignalWatch {
  /** False when the platform offered no way to watch signals off the main thread. */
  watching: boolean;
  reason?: string;
  close(): Promise<void>;
}

/** How long the worker may take to say whether it watches. */
const START_TIMEOUT_MS = 5000;

/** LAB_SIGNAL_WATCH: `on` (default) or `off`, the escape hatch should the internal binding misbehave. */
export function signalWatchEnabled(env: NodeJS.ProcessEnv): boolean {
  const raw = env.LAB_SIGNAL_WATCH || 'on';
  if (raw !== 'on' && raw !== 'off') throw new ServiceConfigError('LAB_SIGNAL_WATCH', raw, 'on or off');
  return raw === 'on';
}

export async function watchSignalsOffThread(stop: StopFlag, signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): Promise<SignalWatch> {
  let worker: Worker;
  try {
    worker = new Worker(new URL('./signal-watch-worker.js', import.meta.url), {
      workerData: { stop: stop.buffer, signals: signals.map((s) => constants.signals[s]) },
    });
  } catch (error) {
    return { watching: false, reason: `could not start the watch thread: ${(error as Error).message}`, close: async () => undefined };
  }
  const status = await new Promise<{ watching: boolean; reason?: string }>((resolve) => {
    const timer = setTimeout(() => resolve({ watching: false, reason: `watch thread did not report within ${START_TIMEOUT_MS} ms` }), START_TIMEOUT_MS);
    // resolve() keeps the first answer, so late events are harmless.
    const settle = (result: { watching: boolean; reason?: string }) => {
      clearTimeout(timer);
      resolve(result);
    };
    worker.once('message', settle);
    worker.once('exit', (code) => settle({ watching: false, reason: `watch thread exited (code ${code}) before reporting` }));
    // on, not once: an 'error' without a listener, even a late one, would crash the service.
    worker.on('error', (error) => settle({ watching: false, reason: `watch thread failed: ${error.message}` }));
  });
  if (!status.watching) await worker.terminate();
  // Only now: until the answer, something must keep the loop alive, or a start-up with nothing
  // else pending would end in "unsettled top-level await". Afterwards it must never be.
  worker.unref();
  return {
    ...status,
    close: async () => {
      await worker.terminate();
    },
  };
}
