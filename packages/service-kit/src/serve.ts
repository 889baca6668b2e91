// The life of a lab service process, shared by both services: listen, announce where (one
// JSON line on stdout that tests and `lab up` read), and on SIGTERM/SIGINT shut down within a
// bound: stop accepting, close idle keep-alive connections at once, answer in-flight requests
// with `Connection: close`, let them drain for drainMs, then cut them, close everything (pools,
// watchdog) and exit 0 as soon as that is done, by exitDeadlineMs at the latest.
// Under the supervisor (supervise.ts) a stop-channel thread also raises `stop` the moment the
// signal arrives, even while the main thread is blocked.
import type { FastifyInstance } from 'fastify';
import type { ServiceEnv } from './env.js';
import { openStopChannel, type StopChannel, stopChannelFd } from './stop-channel.js';

export interface ServeOptions {
  service: string;
  app: FastifyInstance;
  env: ServiceEnv;
  /**
   * Shared stop flag (Int32Array over a SharedArrayBuffer, index 0 set to 1 on stop) that
   * blocking work checks. Services with no such work leave it out.
   */
  stop?: Int32Array;
  /** First thing on a signal, on the main thread (e.g. stop fault work). */
  onShutdownStart?: () => void;
  /** When drainMs ran out with requests still open (e.g. abort outgoing calls). */
  onDrainTimeout?: () => void;
}

/** What the readiness line on stdout says. */
export interface Listening {
  event: 'listening';
  service: string;
  url: string;
  /** The telemetry watchdog's /metrics, when it runs. */
  metricsUrl: string | undefined;
  pid: number;
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

async function openChannel(options: ServeOptions, onOrphaned: () => void): Promise<StopChannel> {
  const fd = stopChannelFd(process.env);
  const stop = (options.stop ?? new Int32Array(new SharedArrayBuffer(4))).buffer as SharedArrayBuffer;
  if (fd === undefined)
    return { watching: false, reason: 'not started under its supervisor (start main.js, not server.js)', close: async () => undefined };
  return openStopChannel(fd, stop, onOrphaned);
}

export async function serve(options: ServeOptions): Promise<Listening> {
  const { app, env, service } = options;
  let shuttingDown = false;
  const shutdown = async (reason: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    const started = performance.now();
    options.onShutdownStart?.();
    const deadline = setTimeout(() => {
      process.stderr.write(`${service}: shutdown took longer than ${env.exitDeadlineMs} ms; exiting anyway\n`);
      process.exit(0);
    }, env.exitDeadlineMs);
    deadline.unref();
    const drain = setTimeout(() => {
      options.onDrainTimeout?.();
      app.server.closeAllConnections();
    }, env.drainMs);
    drain.unref();
    try {
      // Fastify stops listening and closes the connections idle at this moment; the onSend hook
      // below closes each busy one as its response goes out.
      await app.close();
    } catch (error) {
      process.stderr.write(`${service}: error while closing: ${(error as Error).message}\n`);
    }
    clearTimeout(drain);
    await channel?.close();
    const shutdownMs = Math.round(performance.now() - started);
    process.stdout.write(`${JSON.stringify({ event: 'stopped', service, reason, shutdownMs })}\n`);
    process.exit(0);
  };
  let channel: StopChannel | undefined;
  // Before anything can block: a signal during start-up must also end in a clean exit 0.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  channel = await openChannel(options, () => void shutdown('supervisor exited'));
  if (!channel.watching && options.stop) {
    process.stderr.write(`${service}: SIGTERM during a blocking fault waits for the current block to end: ${channel.reason}\n`);
  }
  // A keep-alive client would otherwise hold its socket (and the exit) for the whole drain.
  app.addHook('onSend', async (_request, reply) => {
    if (shuttingDown) reply.header('connection', 'close');
  });

  await app.listen({ port: env.port, host: env.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : env.port;
  const watchdog = app.telemetry.watchdogAddress();
  const listening: Listening = {
    event: 'listening',
    service,
    url: urlOf(env.host, port),
    metricsUrl: watchdog ? `${urlOf(watchdog.host, watchdog.port)}/metrics` : undefined,
    pid: process.pid,
  };
  process.stdout.write(`${JSON.stringify(listening)}\n`);
  return listening;
}

/**
 * Runs a service's start-up (`start`: register plugins, then serve()); should any step fail,
 * closes the app, which releases whatever had started (worker threads, timers, servers), says why
 * on one line and leaves exit code 1, so a failed start ends the process instead of hanging it.
 */
export async function startOrRelease(service: string, app: FastifyInstance, start: () => Promise<unknown>): Promise<void> {
  try {
    await start();
  } catch (error) {
    process.stderr.write(`${service}: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
    try {
      await app.close();
    } catch (closeError) {
      process.stderr.write(`${service}: error while releasing a failed start: ${(closeError as Error).message}\n`);
    }
  }
}
