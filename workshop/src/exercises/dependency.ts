// The slow dependency of the fan-out exercise: a tiny HTTP server on loopback, port 0.
// GET /widget/<n> → {"id":n,"value":n*10} after `normalMs`; when `slow` is on, one call in
// `hangEvery` answers only after `hangMs` (a dependency that sometimes does not answer in time).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FAN_OUT } from './catalogue.js';

export interface Dependency {
  url: string;
  calls(): number;
  setSlow(slow: boolean): void;
  close(): Promise<void>;
}

export async function startDependency(): Promise<Dependency> {
  let calls = 0;
  let slow = false;
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    calls += 1;
    const match = /^\/widget\/(\d+)$/.exec(req.url ?? '');
    if (!match) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const n = Number(match[1]);
    const delayMs = slow && calls % FAN_OUT.hangEvery === 0 ? FAN_OUT.hangMs : FAN_OUT.normalMs;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: n, value: n * 10 }));
    }, delayMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => calls,
    setSlow: (value) => {
      slow = value;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
