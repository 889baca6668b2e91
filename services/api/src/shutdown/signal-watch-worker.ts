// Runs in a worker thread: sets the shared stop flag the moment SIGTERM/SIGINT arrives, even
// while the main thread is stuck in a blocking fault.
//
// Why this exists: a signal handler registered with process.on() runs on the main event loop,
// so during a 30 s synchronous block it would run 30 s late. libuv delivers a signal to every
// loop that watches it, and a worker has its own loop; but Node only exposes signal listeners
// on the main thread, so the watch uses the internal signal_wrap binding (DEP0111). If that
// binding ever disappears, the worker reports it and shutdown falls back to waiting for the
// current block to end.
import { parentPort, workerData } from 'node:worker_threads';

interface WatchData {
  stop: SharedArrayBuffer;
  signals: number[];
}

interface SignalHandle {
  onsignal: (signum: number) => void;
  start(signum: number): number;
  close(): void;
}

const { stop, signals } = workerData as WatchData;
const flag = new Int32Array(stop);

const handles: SignalHandle[] = [];
try {
  // Deliberate, see above: silence only this thread's DEP0111 warning.
  process.noDeprecation = true;
  const binding = (process as unknown as { binding(name: string): { Signal: new () => SignalHandle } }).binding('signal_wrap');
  for (const signum of signals) {
    const handle = new binding.Signal();
    handles.push(handle);
    handle.onsignal = () => {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    };
    const err = handle.start(signum);
    if (err !== 0) throw new Error(`signal_wrap start(${signum}) failed with ${err}`);
  }
  parentPort?.postMessage({ watching: true });
} catch (error) {
  // All or nothing: "not watching" must be true of every signal, so close what did start.
  for (const handle of handles) handle.close();
  parentPort?.postMessage({ watching: false, reason: error instanceof Error ? error.message : String(error) });
}
