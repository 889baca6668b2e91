// Main-thread side of the watchdog: writes the heartbeat to shared memory, writes the registry
// snapshot the worker serves when a scrape asks for one, and turns a worker crash into
// runtime_watchdog_up 0 (logged; the app keeps serving).
//
// Snapshots on demand, not on a fixed period: serializing a registry costs the main thread
// the same as a /metrics route would, so a 500 ms period made an unscraped app pay for two
// scrapes a second (with a 20 000-series histogram: loop-delay max ~0.9 s and ELU ~0.5 from
// the telemetry alone). Now an unscraped app pays nothing, a scraped one about one
// serialization per scrape, written in slices that yield to the loop (snapshot.ts).
import { METRIC_WATCHDOG_UP, withPrefix } from '@runtime-lab/metric-names';
import { channel } from 'node:diagnostics_channel';
import { Worker } from 'node:worker_threads';
import type { FastifyBaseLogger } from 'fastify';
import { Gauge, type Registry } from 'prom-client';
import { nowNs } from './clock.js';
import { portInUse, watchdogStartFailed } from './errors.js';
import { LOOP_SAMPLE_PERIOD_MS, type LoopDelayMonitor } from './loop-delay.js';
import type { OwnedMetrics } from './owned-metrics.js';
import { type SnapshotStats, serializeInSlices, yieldToLoop } from './snapshot.js';
import type { SamplerEvent, StallAttributionConfig } from './stall-sampler.js';
import { type FromWatchdog, liveFamilies, type ToWatchdog, type WatchdogWorkerData } from './watchdog-protocol.js';

export interface WatchdogConfig {
  host: string;
  port: number;
  /** A scrape that finds the snapshot older than this asks for a fresh one (and waits a little for it). */
  snapshotIntervalMs: number;
  heartbeatIntervalMs: number;
  livenessMaxStallMs: number;
  /** How much the watchdog thread's nice value is raised above the loop's on Linux (0-19, 0: left alone). */
  nice: number;
  /** Stall attribution in the worker; its events go to onSamplerEvent. */
  attribution?: StallAttributionConfig;
  onSamplerEvent?: (event: SamplerEvent) => void;
}

export interface Watchdog {
  readonly address: { host: string; port: number };
  readonly worker: Worker;
  close(): Promise<void>;
}

// Longer than any sane start (the worker only binds a port) but bounded, so a registration
// that cannot start the worker fails instead of hanging.
const START_TIMEOUT_MS = 10_000;
/**
 * Work between two yields while writing a snapshot, in ms: the longest stall the snapshot itself
 * adds (a metric prom-client writes in one run aside). Half the 20 ms budget, so a slice that
 * overruns its last clock read or meets a young-generation GC still stays under it. Each turn
 * of the loop runs at most one slice (the first starts in the check phase, like the others). Smaller
 * slices mean more turns, and every turn lets queued requests run first (under a blocking fault
 * each may hold the loop for hundreds of ms): a large registry's snapshot then arrives late and
 * the scrape gets the previous one with its age. A registry of the lab's size is one slice.
 */
export const SNAPSHOT_SLICE_MS = 10;

/**
 * Diagnostics channel (node:diagnostics_channel) on which every watchdog snapshot publishes
 * what it cost the main thread: {@link SnapshotPublished}. Nothing is published without a
 * subscriber.
 */
export const SNAPSHOT_CHANNEL = '@runtime-lab/telemetry:snapshot';

export interface SnapshotPublished extends SnapshotStats {
  /** From the start of the snapshot to its last chunk, in ms (slices and the app's turns between them). */
  elapsedMs: number;
}

const snapshotChannel = channel(SNAPSHOT_CHANNEL);

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
    new Gauge({
      name: withPrefix(METRIC_WATCHDOG_UP, prefix),
      help: '1 when the watchdog thread runs; 0 after it crashed.',
      registers: [],
    }),
  );
  const heartbeatBuffer = new SharedArrayBuffer(8);
  const heartbeat = new BigInt64Array(heartbeatBuffer);
  Atomics.store(heartbeat, 0, nowNs());

  const workerData: WatchdogWorkerData = {
    heartbeat: heartbeatBuffer,
    host: config.host,
    port: config.port,
    prefix,
    snapshotMaxAgeMs: config.snapshotIntervalMs,
    livenessMaxStallMs: config.livenessMaxStallMs,
    nice: config.nice,
  };
  if (config.attribution) workerData.attribution = config.attribution;
  const worker = new Worker(new URL('./watchdog-worker.js', import.meta.url), { workerData, name: 'telemetry-watchdog' });

  let closing = false;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  const stopTimers = (): void => {
    clearInterval(heartbeatTimer);
  };

  const listening = await new Promise<{ host: string; port: number; niceError?: string }>((resolve, reject) => {
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
      if (message.type === 'snapshot-wanted') return; // the first snapshot is written right after start
      if (message.type === 'listening') {
        cleanup();
        resolve(message);
      } else if (message.type !== 'listen-error') {
        return;
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

  const address = { host: listening.host, port: listening.port };
  if (listening.niceError !== undefined) {
    log.warn(
      `@runtime-lab/telemetry: could not raise the watchdog thread's nice value by ${config.nice} (${listening.niceError}); it keeps the event loop's priority`,
    );
  }
  const markDown = (reason: string, error?: unknown): void => {
    if (closing) return;
    closing = true;
    stopTimers();
    up.set(0);
    log.error(
      { err: error },
      `@runtime-lab/telemetry: watchdog thread ${reason}; metrics on port ${address.port} are gone, the app keeps serving`,
    );
  };
  const onSamplerEvent = config.onSamplerEvent;
  if (onSamplerEvent) {
    worker.on('message', (message: FromWatchdog) => {
      if (!closing && (message.type === 'stall' || message.type === 'attribution-on' || message.type === 'attribution-off'))
        onSamplerEvent(message);
    });
  }
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

  // One snapshot at a time: scrapes that ask while one is being written get that one.
  let writing: Promise<void> | undefined;
  const live = liveFamilies(prefix);
  const skip = new Set([live.stall, live.age, live.up]);
  const post = (message: ToWatchdog, transfer?: ArrayBuffer[]): void => {
    if (!closing) worker.postMessage(message, transfer);
  };
  /**
   * forScrape: asked for by the worker, for a scrape. Such a request arrives in the poll phase: a
   * slice begun there and the next one (setImmediate, the check phase of the same turn) would hold
   * the loop back to back, two slices without a timer between them, so the first slice starts in
   * the check phase like the others. At start-up (false) nothing waits and it runs at once.
   */
  const write = async (forScrape: boolean): Promise<void> => {
    if (forScrape) await yieldToLoop();
    const startedNs = nowNs();
    try {
      // Each chunk goes to the worker as soon as it is full, its buffer moved, not copied.
      const options = { sliceMs: SNAPSHOT_SLICE_MS, skip, measureCpu: snapshotChannel.hasSubscribers };
      const stats = await serializeInSlices(registry, options, (chunk) =>
        post({ type: 'snapshot-chunk', chunk }, [chunk.buffer as ArrayBuffer]),
      );
      // The worker serves the snapshot as soon as it hears it is done: on a shared core its write
      // of a large scrape would follow this turn's last slice before the loop reached its timers,
      // so a snapshot of several slices tells it in the next turn, after them. A one-slice
      // snapshot (a registry of the lab's size) tells it at once: its scrape is small, and under a
      // blocking fault the next turn can be a block of hundreds of ms that the waiting scrape
      // would pay in staleness (measured: snapshot age at scrape ≥ 0.75 s instead of ≥ 0.13 s
      // with 600 ms blocks back to back).
      if (forScrape && stats.slices > 1) await yieldToLoop();
      // Credited to when it started: its values were collected from then on.
      post({ type: 'snapshot-done', takenAtNs: startedNs });
      if (snapshotChannel.hasSubscribers) {
        const published: SnapshotPublished = { ...stats, elapsedMs: Number(nowNs() - startedNs) / 1e6 };
        snapshotChannel.publish(published);
      }
    } catch (error) {
      post({ type: 'snapshot-failed' });
      // The snapshot's age keeps growing on the watchdog port, which is the signal for this.
      log.warn({ err: error }, '@runtime-lab/telemetry: could not collect the registry snapshot');
    }
  };
  const takeSnapshot = (forScrape: boolean): Promise<void> => {
    writing ??= write(forScrape).finally(() => {
      writing = undefined;
    });
    return writing;
  };
  worker.on('message', (message: FromWatchdog) => {
    if (message.type === 'snapshot-wanted' && !closing) void takeSnapshot(true);
  });
  // The first scrape should not find nothing at all.
  await takeSnapshot(false);

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
