// Starts the off-thread signal watch (see signal-watch-worker.ts).
import { constants } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { StopFlag } from '../faults/blocking-work.js';

export interface SignalWatch {
  /** False when the platform offered no way to watch signals off the main thread. */
  watching: boolean;
  reason?: string;
  close(): Promise<void>;
}

export async function watchSignalsOffThread(stop: StopFlag, signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): Promise<SignalWatch> {
  const worker = new Worker(new URL('./signal-watch-worker.js', import.meta.url), {
    workerData: { stop: stop.buffer, signals: signals.map((s) => constants.signals[s]) },
  });
  // The watch must never be what keeps the process alive.
  worker.unref();
  const status = await new Promise<{ watching: boolean; reason?: string }>((resolve) => {
    worker.once('message', resolve);
    worker.once('error', (error) => resolve({ watching: false, reason: error.message }));
  });
  return {
    ...status,
    close: async () => {
      await worker.terminate();
    },
  };
}
