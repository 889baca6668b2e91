// Main-thread side of the watchdog: writes the heartbeat to shared memory, refreshes the
// registry snapshot the worker serves, and turns a worker crash into runtime_watchdog_up 0
// (logged; the app keeps serving).
import { METRIC_WATCHDOG_UP, withPrefix } from '@runtime-lab/metric-names';
import { Worker } from 'node:worker_threads';
import type { FastifyBaseLogger } from 'fastify';
import { Gauge, type Registry } from 'prom-client';
import { nowNs } from './clock.js';
import { portInUse, watchdogStartFailed } from './errors.js';
import { LOOP_SAMPLE_PERIOD_MS, type LoopDelayMonitor } from './loop-delay.js';
import type { OwnedMetrics } from './owned-metrics.js';
import type { FromWatchdog, ToWatchdog, WatchdogWorkerData } from './watchdog-protocol.js';

export interface WatchdogConfig {
  host: string;
  port: number;
  snapshotIntervalMs: number;
  heartbeatIntervalMs: number;
  livenessMaxStallMs: number;
}

export interface Watchdog {
  readonly address: { host: string; port: number };
  readonly worker: Worker;
  close(): Promise<void>;
}

// Longer than any sane start (the worker only binds a port) but bounded, so a registration
// that cannot start the worker fails instead of hanging.
const START_TIMEOUT_MS = 10_000;

export async function startWatchdog(
  config: WatchdogConfig,
  registry: Registry,
  owned: OwnedMetrics,
  prefix: string,
  log: FastifyBaseLogger,
  loopDelay: LoopDelayMonitor,
): Promise<Watchdog> {
  const up = owned.add(
    withPrefix(METRIC_WATCHDOG_UP, prefix),
    new Gauge({ name: withPrefix(METRIC_WATCHDOG_UP, prefix), help: '1 when the watchdog thread runs; 0 after it crashed.', registers: [] }),
  );
  const heartbeatBuffer = new SharedArrayBuffer(8);
  const heartbeat = new BigInt64Array(heartbeatBuffer);
  Atomics.store(heartbeat, 0, nowNs());

  const workerData: WatchdogWorkerData = {
    heartbeat: heartbeatBuffer,
    host: config.host,
    port: config.port,
    prefix,
    livenessMaxStallMs: config.livenessMaxStallMs,
  };
  const worker = new Worker(new URL('./watchdog-worker.js', import.meta.url), { workerData, name: 'telemetry-watchdog' });

  let closing = false;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let snapshotTimer: NodeJS.Timeout | undefined;
  const stopTimers = (): void => {
    clearInterval(heartbeatTimer);
    clearTimeout(snapshotTimer);
  };

  const address = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    const timeout = setTimeout(() => {
      fail(watchdogStartFailed(config.host, config.port, `the worker did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    const cleanup = (): void => {
      clearTimeout(timeout);
      worker.off('message', onMessage);
      worker.off('error', fail);
      worker.off('exit', onExit);
    };
    function fail(error: Error): void {
      cleanup();
      closing = true;
      void worker.terminate();
      reject(error);
    }
    function onMessage(message: FromWatchdog): void {
      if (message.type === 'listening') {
        cleanup();
        resolve({ host: message.host, port: message.port });
      } else if (message.code === 'EADDRINUSE') {
        fail(portInUse(config.host, config.port, new Error(message.message)));
      } else {
        fail(watchdogStartFailed(config.host, config.port, `${message.code}: ${message.message}`));
      }
    }
    function onExit(code: number): void {
      fail(watchdogStartFailed(config.host, config.port, `the worker exited with code ${code}`));
    }
    worker.on('message', onMessage);
    worker.on('error', fail);
    worker.on('exit', onExit);
  });

  const markDown = (reason: string, error?: unknown): void => {
    if (closing) return;
    closing = true;
    stopTimers();
    up.set(0);
    log.error({ err: error }, `@runtime-lab/telemetry: watchdog thread ${reason}; metrics on port ${address.port} are gone, the app keeps serving`);
  };
  worker.on('error', (error) => markDown('crashed', error));
  worker.on('exit', (code) => markDown(`exited with code ${code}`));
  // A process whose only remaining handle is the watchdog should still be able to exit.
  worker.unref();
  up.set(1);

  const beat = (): void => {
    if (!closing) Atomics.store(heartbeat, 0, nowNs());
  };
  // Every timer wakes an idle loop, so at the default period the heartbeat shares the
  // loop-delay sampler's timer instead of having its own.
  if (config.heartbeatIntervalMs === LOOP_SAMPLE_PERIOD_MS) loopDelay.onTick(beat);
  else heartbeatTimer = setInterval(beat, config.heartbeatIntervalMs).unref();

  const takeSnapshot = async (): Promise<void> => {
    try {
      const text = await registry.metrics();
      if (closing) return;
      const message: ToWatchdog = { type: 'snapshot', text, takenAtNs: nowNs() };
      worker.postMessage(message);
    } catch (error) {
      // The snapshot's age keeps growing on the watchdog port, which is the signal for this.
      log.warn({ err: error }, '@runtime-lab/telemetry: could not collect the registry snapshot');
    }
  };
  const scheduleSnapshot = (): void => {
    snapshotTimer = setTimeout(async () => {
      await takeSnapshot();
      if (!closing) scheduleSnapshot();
    }, config.snapshotIntervalMs).unref();
  };
  await takeSnapshot();
  scheduleSnapshot();

  return {
    address,
    worker,
    async close() {
      const wasRunning = !closing;
      closing = true;
      stopTimers();
      if (wasRunning) await worker.terminate();
    },
  };
}
