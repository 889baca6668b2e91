// Ports for tests that must name a port up front (a service's env, a Prometheus config).
import { createServer } from 'node:net';

/** A loopback port that was free a moment ago: bound on port 0, then released. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('freePort: the server has no port');
  return address.port;
}

/** Free ports for one pair of lab services (the shape the CLI's startServices takes), picked one after another. */
export async function freeServicePorts(): Promise<{
  apiPort: number;
  apiMetricsPort: number;
  downstreamPort: number;
  downstreamMetricsPort: number;
}> {
  return {
    apiPort: await freePort(),
    apiMetricsPort: await freePort(),
    downstreamPort: await freePort(),
    downstreamMetricsPort: await freePort(),
  };
}
