// The real api and downstream as child processes on ephemeral ports, faults toggled through the
// admin API and a closed-loop load per stream, for the live audit tests: the test kit's helpers,
// shaped for these tests.
import { existsSync } from 'node:fs';
import {
  API_SERVER,
  closedLoop,
  DOWNSTREAM_SERVER,
  type PressureResult,
  type RunningService,
  resetToggles,
  setToggles,
  startService as startKitService,
} from '@runtime-lab/test-kit';

export { API_SERVER, DOWNSTREAM_SERVER, type RunningService };

export function servicesBuilt(): boolean {
  return existsSync(API_SERVER) && existsSync(DOWNSTREAM_SERVER);
}

export function startService(script: string, env: Record<string, string> = {}): Promise<RunningService> {
  return startKitService(script, env, 30_000);
}

/** Turns one fault on for two minutes (its TTL), long enough for any phase. */
export function setFault(apiUrl: string, name: string, params: Record<string, unknown>): Promise<void> {
  return setToggles(apiUrl, { [name]: { ...params, ttlSeconds: 120 } });
}

export const clearFaults = resetToggles;

export interface Stream {
  route: string;
  method?: 'GET' | 'POST';
  connections: number;
}

/** Closed-loop load until stopped: `connections` lanes per stream; stop() resolves with the requests the api answered. */
export function startLoad(apiUrl: string, streams: Stream[]): { stop(): Promise<number> } {
  const stop = new AbortController();
  const runs: Promise<PressureResult>[] = streams.map((stream) =>
    closedLoop(new URL(stream.route, apiUrl).href, {
      connections: stream.connections,
      durationMs: Number.POSITIVE_INFINITY,
      method: stream.method ?? 'GET',
      ...(stream.method === 'POST' ? { body: '{}' } : {}),
      signal: stop.signal,
      timeoutMs: 10_000,
      pauseAfterFailureMs: 20,
    }),
  );
  return {
    async stop() {
      stop.abort();
      const results = await Promise.all(runs);
      return results.reduce((sum, result) => sum + result.requests - (result.byStatus.error ?? 0), 0);
    },
  };
}
