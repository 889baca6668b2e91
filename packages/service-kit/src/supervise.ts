// The signal supervisor: the process that receives SIGTERM/SIGINT for a lab service (PID 1's
// child in the container, the process `lab up` starts), runs the service as its child, and
// turns each signal into two messages:
//   1. a line on a pipe the child inherits as LAB_STOP_FD (fd 3), read by a worker thread in the
//      child (stop-channel-worker.ts), which raises the shared stop flag at once, even while the
//      child's main thread is blocked, so fault work ends within milliseconds;
//   2. the same signal, forwarded, which the child's main thread handles as soon as it is free
//      again: a graceful shutdown (serve.ts).
// Why a second process: Node delivers signals only to the main thread's listeners, and the only
// way to watch them from a worker thread was an internal binding that Node 24 removed. This
// process never blocks, so it always sees the signal on time.
//
// It exits with the child's exit code (128 + n when the child died of signal n). Should the child
// ignore the stop (code that never checks the flag), it is killed after SHUTDOWN_DEADLINE_MS +
// KILL_GRACE_MS and the supervisor exits 1, so an orchestrator never has to escalate.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Writable } from 'node:stream';
import { readServiceEnv } from './env.js';
import { STOP_FD_VARIABLE } from './stop-channel.js';

/** Past the child's own exit deadline, how long before it is killed. */
export const KILL_GRACE_MS = 2000;

const STOP_FD = 3;

export interface SuperviseOptions {
  /** Named in the supervisor's own messages. */
  service: string;
  /** Absolute path of the service's entry script (e.g. .../dist/src/server.js). */
  script: string;
}

/** Runs `script` as a supervised child; never returns (the process exits with the child). */
export function supervise({ service, script }: SuperviseOptions): void {
  const say = (message: string) => process.stderr.write(`${service} supervisor: ${message}\n`);
  let exitDeadlineMs: number;
  try {
    exitDeadlineMs = readServiceEnv(process.env, { port: 0, metricsPort: 0 }).exitDeadlineMs;
  } catch (error) {
    say((error as Error).message);
    process.exit(1);
  }
  const child = spawn(process.execPath, [...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, [STOP_FD_VARIABLE]: String(STOP_FD) },
  });
  const channel = child.stdio[STOP_FD] as Writable;
  // EPIPE once the child has gone: nothing left to tell.
  channel.on('error', () => undefined);

  let killTimer: NodeJS.Timeout | undefined;
  let killed = false;
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    channel.write(`${signal}\n`);
    child.kill(signal);
    killTimer ??= setTimeout(() => {
      killed = true;
      say(`the child did not exit within ${exitDeadlineMs + KILL_GRACE_MS} ms of ${signal}; killing it`);
      child.kill('SIGKILL');
    }, exitDeadlineMs + KILL_GRACE_MS);
  };
  process.on('SIGTERM', () => forward('SIGTERM'));
  process.on('SIGINT', () => forward('SIGINT'));

  child.once('error', (error) => {
    say(`could not start ${script}: ${error.message}`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => {
    clearTimeout(killTimer);
    if (killed) process.exit(1);
    process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
  });
}
