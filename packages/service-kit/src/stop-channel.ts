// The service's end of the stop channel: a worker thread reads a pipe inherited from the
// supervisor (supervise.ts) and raises a shared stop flag on SIGTERM/SIGINT, while the main
// thread may be blocked. Best effort by design: any way it cannot start ends in
// { watching: false, reason }, never in a failed start-up; the main thread's own signal
// handlers still shut the service down, only after the current block ends.
import { Worker } from 'node:worker_threads';
import { ServiceConfigError } from './env.js';

/** The environment variable the supervisor sets: which file descriptor is the channel. */
export const STOP_FD_VARIABLE = 'LAB_STOP_FD';

/** What the channel worker receives. */
export interface ChannelWorkerData {
  fd: number;
  /** SharedArrayBuffer of at least 4 bytes: index 0 of an Int32Array becomes 1 on stop. */
  stop: SharedArrayBuffer;
}

/** What the channel worker posts to the main thread. */
export type ChannelMessage =
  | { kind: 'watching' }
  | { kind: 'failed'; reason: string }
  | { kind: 'stop'; signal: string }
  | { kind: 'orphaned' };

export interface StopChannel {
  /** True when a stop from the supervisor reaches the flag even while the main thread is blocked. */
  watching: boolean;
  reason?: string;
  close(): Promise<void>;
}

/** How long the worker may take to say whether it reads the channel. */
const START_TIMEOUT_MS = 5000;

/** LAB_STOP_FD: unset when not supervised, else the inherited descriptor (3 to 1023). */
export function stopChannelFd(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[STOP_FD_VARIABLE];
  if (raw === undefined || raw === '') return undefined;
  const fd = Number(raw);
  if (!/^\d+$/.test(raw) || fd < 3 || fd > 1023)
    throw new ServiceConfigError(STOP_FD_VARIABLE, raw, 'a file descriptor from 3 to 1023 (set by the supervisor)');
  return fd;
}

const notWatching = (reason: string): StopChannel => ({ watching: false, reason, close: async () => undefined });

/**
 * Opens the channel on `fd`. `onOrphaned` runs (on the main thread) when the supervisor's end
 * closes without a stop: the service should shut down then, as it would on SIGTERM.
 */
export async function openStopChannel(fd: number, stop: SharedArrayBuffer, onOrphaned: () => void): Promise<StopChannel> {
  let worker: Worker;
  try {
    const workerData: ChannelWorkerData = { fd, stop };
    worker = new Worker(new URL('./stop-channel-worker.js', import.meta.url), { workerData, name: 'stop-channel' });
  } catch (error) {
    return notWatching(`could not start the stop-channel thread: ${(error as Error).message}`);
  }
  const status = await new Promise<{ watching: boolean; reason?: string }>((resolve) => {
    const timer = setTimeout(
      () => resolve({ watching: false, reason: `stop-channel thread did not report within ${START_TIMEOUT_MS} ms` }),
      START_TIMEOUT_MS,
    );
    // resolve() keeps the first answer, so late events are harmless.
    const settle = (result: { watching: boolean; reason?: string }) => {
      clearTimeout(timer);
      resolve(result);
    };
    worker.on('message', (message: ChannelMessage) => {
      if (message.kind === 'watching') settle({ watching: true });
      else if (message.kind === 'failed') settle({ watching: false, reason: message.reason });
      else if (message.kind === 'orphaned') onOrphaned();
    });
    worker.once('exit', (code) => settle({ watching: false, reason: `stop-channel thread exited (code ${code}) before reporting` }));
    // on, not once: an 'error' without a listener, even a late one, would crash the service.
    worker.on('error', (error) => settle({ watching: false, reason: `stop-channel thread failed: ${error.message}` }));
  });
  if (!status.watching) {
    await worker.terminate();
    return notWatching(status.reason ?? 'unknown');
  }
  // Only now: until the answer something must keep the loop alive, or a start-up with nothing
  // else pending would end in "unsettled top-level await". Afterwards it must never be.
  worker.unref();
  return {
    watching: true,
    close: async () => {
      await worker.terminate();
    },
  };
}
