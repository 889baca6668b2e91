// The off-thread signal watch (internal signal_wrap binding, DEP0111) must fail safe: a signal it
// cannot watch, or the watch switched off, is reported with a reason, never a failed start.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServiceConfigError } from '@runtime-lab/service-kit';
import { newStopFlag, stopRequested } from '../src/faults/blocking-work.js';
import { signalWatchEnabled, watchSignalsOffThread } from '../src/shutdown/signal-watch.js';

test('the watch sets the stop flag while the main thread is blocked', async () => {
  const stop = newStopFlag();
  const watch = await watchSignalsOffThread(stop, ['SIGUSR2']);
  // A main-thread listener too, so a watch that silently did nothing could not kill the test run.
  const noop = () => undefined;
  process.on('SIGUSR2', noop);
  try {
    assert.equal(watch.watching, true, watch.reason);
    const started = performance.now();
    process.kill(process.pid, 'SIGUSR2');
    // The main thread now waits synchronously: only another thread can end this wait early.
    Atomics.wait(stop, 0, 0, 5000);
    const waitedMs = performance.now() - started;
    assert.ok(stopRequested(stop), 'the flag is set');
    assert.ok(waitedMs < 2500, `set while the main thread was blocked, after ${Math.round(waitedMs)} ms (the wait was for up to 5000)`);
  } finally {
    process.off('SIGUSR2', noop);
    await watch.close();
  }
});

test('a signal the watch cannot take is reported as not watching, with the reason, and nothing is half-watched', async () => {
  const stop = newStopFlag();
  // SIGKILL cannot be caught: signal_wrap's start fails, the same path as a binding that is gone.
  const watch = await watchSignalsOffThread(stop, ['SIGUSR2', 'SIGKILL']);
  assert.equal(watch.watching, false);
  assert.match(watch.reason ?? '', /signal_wrap start\(9\) failed/);
  const noop = () => undefined;
  process.on('SIGUSR2', noop);
  try {
    process.kill(process.pid, 'SIGUSR2');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(stopRequested(stop), false, 'the SIGUSR2 handle that did start was closed again');
  } finally {
    process.off('SIGUSR2', noop);
    await watch.close();
  }
});

test('LAB_SIGNAL_WATCH is on by default, off on request, and anything else is a clear error', () => {
  assert.equal(signalWatchEnabled({}), true);
  assert.equal(signalWatchEnabled({ LAB_SIGNAL_WATCH: 'on' }), true);
  assert.equal(signalWatchEnabled({ LAB_SIGNAL_WATCH: 'off' }), false);
  assert.throws(() => signalWatchEnabled({ LAB_SIGNAL_WATCH: 'no' }), (error: unknown) => {
    assert.ok(error instanceof ServiceConfigError);
    assert.equal(error.message, 'LAB_SIGNAL_WATCH="no" is invalid: expected on or off');
    return true;
  });
});
