// The life of a lab service process, shared by both services: listen, announce where (one
// JSON line on stdout that tests and `lab up` read), and on SIGTERM/SIGINT shut down within a
// bound: stop accepting, let in-flight requests drain for drainMs, then cut them, close
// everything (pools, watchdog) and exit 0 by exitDeadlineMs at the latest.
import type { FastifyInstance } from 'fastify';
import type { ServiceEnv } from './env.js';

export interface ServeOptions {
  service: string;
  app: FastifyInstance;
  env: ServiceEnv;
  /** First thing on a signal (e.g. stop fault work). */
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

export async function serve(options: ServeOptions): Promise<Listening> {
  const { app, env, service } = options;
  let shuttingDown = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
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
      await app.close();
    } catch (error) {
      process.stderr.write(`${service}: error while closing: ${(error as Error).message}\n`);
    }
    clearTimeout(drain);
    const shutdownMs = Math.round(performance.now() - started);
    process.stdout.write(`${JSON.stringify({ event: 'stopped', service, signal, shutdownMs })}\n`);
    process.exit(0);
  };
  // Before listen: a signal during start-up must also end in a clean exit 0.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

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
