// Starts the real api and downstream as child processes on ephemeral ports (PORT=0,
// METRICS_PORT=0; each prints a `listening` JSON line with its URLs), toggles faults through the
// admin API and drives a simple closed-loop load with fetch, for the live audit tests.

import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { API_SERVER, DOWNSTREAM_SERVER, startService as startLabProcess, stopService } from '@runtime-lab/test-kit';

export { API_SERVER, DOWNSTREAM_SERVER };

export function servicesBuilt(): boolean {
  return existsSync(API_SERVER) && existsSync(DOWNSTREAM_SERVER);
}

export interface RunningService {
  url: string;
  metricsUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The api package's own process starter (kills a child that never reports listening), shaped for these tests. */
export async function startService(script: string, env: Record<string, string> = {}): Promise<RunningService> {
  const service = await startLabProcess(script, env, 30_000);
  return {
    url: service.url,
    metricsUrl: service.metricsUrl,
    process: service.child,
    stop: async () => {
      await stopService(service, 8000);
    },
  };
}

async function admin(apiUrl: string, method: 'PUT' | 'DELETE', path: string, body?: unknown): Promise<void> {
  const response = await fetch(new URL(path, apiUrl), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

export function setFault(apiUrl: string, name: string, params: Record<string, unknown>): Promise<void> {
  return admin(apiUrl, 'PUT', `/admin/faults/${name}`, { ...params, ttlSeconds: 120 });
}

export function clearFaults(apiUrl: string): Promise<void> {
  return admin(apiUrl, 'DELETE', '/admin/faults');
}

export interface Stream {
  route: string;
  method?: 'GET' | 'POST';
  connections: number;
}

/** Closed-loop load: `connections` loops per stream, each sending its next request when the last ends. */
export function startLoad(apiUrl: string, streams: Stream[]): { stop(): Promise<number> } {
  const stop = new AbortController();
  let requests = 0;
  const loop = async (stream: Stream): Promise<void> => {
    while (!stop.signal.aborted) {
      try {
        const response = await fetch(new URL(stream.route, apiUrl), {
          method: stream.method ?? 'GET',
          headers: stream.method === 'POST' ? { 'content-type': 'application/json' } : {},
          body: stream.method === 'POST' ? '{}' : undefined,
          signal: AbortSignal.any([stop.signal, AbortSignal.timeout(10_000)]),
        });
        await response.arrayBuffer();
        requests++;
        // A shed or failed request answers at once; do not turn that into a busy loop.
        if (!response.ok) await new Promise((resolve) => setTimeout(resolve, 20));
      } catch {
        if (!stop.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  const loops = streams.flatMap((stream) => Array.from({ length: stream.connections }, () => loop(stream)));
  return {
    async stop() {
      stop.abort();
      await Promise.allSettled(loops);
      return requests;
    },
  };
}
