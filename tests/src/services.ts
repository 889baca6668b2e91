// Starting the real lab services from their build output on ephemeral ports, as the tests need
// them: each announces where it listens in one JSON line on stdout ({"event":"listening",...}).
import type { ChildProcess } from 'node:child_process';
import { startService as startLabProcess, stopService } from '@runtime-lab/test-kit';

export interface RunningService {
  name: string;
  child: ChildProcess;
  url: string;
  metricsUrl: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

/** The api package's own process starter (kills a child that never reports listening), named for these tests. */
export async function startService(name: string, entry: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<RunningService> {
  const defined = Object.fromEntries(Object.entries(env).filter((pair): pair is [string, string] => pair[1] !== undefined));
  const service = await startLabProcess(entry, { METRICS_HOST: '127.0.0.1', ...defined }, timeoutMs).catch((error: unknown) => {
    throw new Error(`${name}: ${(error as Error).message}`);
  });
  const stop = async (): Promise<void> => {
    await stopService(service, 5000);
  };
  if (!service.metricsUrl) {
    await stop();
    throw new Error(`${name} started without its watchdog metrics endpoint`);
  }
  return { name, child: service.child, url: service.url, metricsUrl: service.metricsUrl, stop };
}

/** Downstream, then the api pointed at it: the pair the lab runs. */
export async function startLabServices(entries: { api: string; downstream: string }, env: NodeJS.ProcessEnv = {}): Promise<RunningService[]> {
  const downstream = await startService('downstream', entries.downstream, env);
  try {
    const api = await startService('api', entries.api, { ...env, DOWNSTREAM_URL: downstream.url });
    return [api, downstream];
  } catch (error) {
    await downstream.stop();
    throw error;
  }
}
