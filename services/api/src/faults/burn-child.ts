// A child process that burns CPU on request: the `child-process` blocking mode's control case.
// The same work as `cpu`, in another process, so the api's event loop stays free.
import { newStopFlag, spinCpu } from './blocking-work.js';

interface BurnRequest {
  id: number;
  durationMs: number;
}

const neverStop = newStopFlag();

process.on('message', (message: BurnRequest) => {
  spinCpu(message.durationMs, neverStop);
  process.send?.({ id: message.id });
});

// The parent died or closed the channel: nothing left to serve.
process.on('disconnect', () => process.exit(0));
