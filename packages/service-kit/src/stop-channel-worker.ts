// Runs in a worker thread of a supervised service (see supervise.ts and stop-channel.ts): reads
// the pipe its supervisor holds the other end of, and raises the shared stop flag the moment a
// line arrives, even while the main thread is stuck in a 30 s synchronous block.
//
// Why a worker: it has its own event loop, so it reads the pipe while the main loop cannot.
// Why a pipe and not a signal: Node delivers signals only to the main thread's listeners.
import { Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import type { ChannelMessage, ChannelWorkerData } from './stop-channel.js';

const { fd, stop } = workerData as ChannelWorkerData;
const flag = new Int32Array(stop);
const post = (message: ChannelMessage) => parentPort?.postMessage(message);

function raise(): void {
  Atomics.store(flag, 0, 1);
  // Wakes work parked in Atomics.wait on this very flag (the `sleep` blocking mode).
  Atomics.notify(flag, 0);
}

try {
  const pipe = new Socket({ fd, readable: true, writable: false });
  pipe.on('data', (chunk: Buffer) => {
    raise();
    post({ kind: 'stop', signal: chunk.toString('utf8').trim().split('\n')[0] ?? '' });
  });
  // The supervisor is gone (killed, crashed): nobody is left to forward a signal, so stop now
  // rather than run on as an orphan.
  pipe.on('end', () => {
    raise();
    post({ kind: 'orphaned' });
  });
  pipe.on('error', (error) => post({ kind: 'failed', reason: `reading fd ${fd}: ${error.message}` }));
  post({ kind: 'watching' });
} catch (error) {
  post({ kind: 'failed', reason: `cannot read fd ${fd}: ${error instanceof Error ? error.message : String(error)}` });
}
