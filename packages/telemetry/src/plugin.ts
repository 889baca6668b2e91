// The Fastify plugin: fills options, starts each enabled feature, and undoes everything it
// started if a later step fails (registration "changes nothing") or when the app closes.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { isMainThread } from 'node:worker_threads';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { startElu } from './elu.js';
import { registryConflict } from './errors.js';
import { registerHttp } from './http.js';
import { startLoopDelay } from './loop-delay.js';
import { fillOptions, type TelemetryOptions } from './options.js';
import { OwnedMetrics } from './owned-metrics.js';
import { type InstrumentedPool, PoolMetrics, type PoolLike } from './pool.js';
import { createStallAttribution } from './stall-attribution.js';
import { createThreadpoolTracker, startThreadpoolCanary } from './threadpool-canary.js';
import { startWatchdog, type Watchdog, type WatchdogConfig } from './watchdog.js';

export interface Telemetry {
  /** The app registers its own metrics (lab_*) here; they appear in the watchdog snapshot. */
  registry: Registry;
  prefix: string;
  /** Bound address of the watchdog port after app.ready(); undefined when the watchdog is off. */
  watchdogAddress(): { host: string; port: number } | undefined;
  /** Counts runtime_threadpool_inflight while `work` is pending. */
  trackThreadpool<T>(work: Promise<T>): Promise<T>;
  /** Times tasks of a piscina pool whose worker handler is wrapped in measured(). */
  instrumentPool<P extends PoolLike>(name: string, pool: P): InstrumentedPool<P>;
}

declare module 'fastify' {
  interface FastifyInstance {
    telemetry: Telemetry;
  }
}

/** Internals reachable by this package's tests (e.g. to crash the watchdog on purpose). */
export const kInternals = Symbol('runtime-lab.telemetry.internals');
export interface TelemetryInternals {
  watchdog: Watchdog | undefined;
}

function addDefaultMetrics(registry: Registry, owned: OwnedMetrics): void {
  const before = new Set(registry.getMetricsAsArray().map((m) => m.name));
  try {
    collectDefaultMetrics({ register: registry });
  } catch (error) {
    // prom-client throws a plain Error naming the duplicate metric.
    const name = /name (\S+) has already been registered/.exec(String((error as Error).message))?.[1];
    throw registryConflict(name ?? 'of a prom-client default metric', error);
  } finally {
    // Whatever it managed to add before failing is ours to take out again.
    owned.adopt(
      registry
        .getMetricsAsArray()
        .map((m) => m.name)
        .filter((name) => !before.has(name)),
    );
  }
}

async function telemetryPlugin(app: FastifyInstance, rawOptions: TelemetryOptions): Promise<void> {
  const options = fillOptions(rawOptions);
  const { registry, prefix } = options;
  const owned = new OwnedMetrics(registry);
  const stops: Array<() => void | Promise<void>> = [];
  const undo = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop();
    owned.removeAll();
  };

  let watchdog: Watchdog | undefined;
  let pools: PoolMetrics;
  let trackThreadpool: Telemetry['trackThreadpool'];
  try {
    if (options.defaultMetrics) addDefaultMetrics(registry, owned);
    const loopDelay = startLoopDelay(owned, prefix, options.loopDelay.maxWindowSeconds);
    stops.push(() => loopDelay.stop());
    const elu = startElu(owned, prefix, options.eluIntervalMs);
    stops.push(() => elu.stop());
    if (options.threadpoolCanary) {
      const canary = startThreadpoolCanary(owned, prefix, options.threadpoolCanary.intervalMs);
      stops.push(() => canary.stop());
    }
    trackThreadpool = createThreadpoolTracker(owned, prefix);
    pools = new PoolMetrics(owned, prefix, options.eluIntervalMs);
    stops.push(() => pools.stop());
    if (options.http) stops.push(registerHttp(app, owned, prefix));
    if (options.watchdog) {
      const config: WatchdogConfig = { ...options.watchdog };
      const attribution = options.stallAttribution;
      // connectToMainThread reaches the process's main thread: from an app running in a
      // worker thread it would capture some other thread's stack, so it is refused there.
      if (attribution && !isMainThread) {
        app.log.warn(
          '@runtime-lab/telemetry: stall attribution is off: the app runs in a worker thread, and only the main thread can be attributed',
        );
      } else if (attribution) {
        const { thresholdMs, maxFrames, maxSamplesPerStall, recentStalls } = attribution;
        config.attribution = { thresholdMs, maxFrames, maxSamplesPerStall, recentStalls };
        config.onSamplerEvent = createStallAttribution(owned, prefix, app.log, attribution).handle;
      }
      watchdog = await startWatchdog(config, registry, owned, prefix, app.log, loopDelay);
      const started = watchdog;
      stops.push(() => started.close());
    }
  } catch (error) {
    await undo();
    throw error;
  }

  if (options.metricsRoute) {
    app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
  }

  const address = watchdog?.address;
  const telemetry: Telemetry & { [kInternals]: TelemetryInternals } = {
    registry,
    prefix,
    watchdogAddress: () => (address ? { ...address } : undefined),
    trackThreadpool,
    instrumentPool: (name, pool) => pools.instrument(name, pool),
    [kInternals]: { watchdog },
  };
  app.decorate('telemetry', telemetry);
  app.addHook('onClose', async () => {
    await undo();
  });
}

export const telemetry = fp(telemetryPlugin, { name: '@runtime-lab/telemetry', fastify: '5.x' });
