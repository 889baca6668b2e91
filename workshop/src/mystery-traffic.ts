// The background traffic of a mystery incident, run as its own detached process by
// `lab workshop mystery start` (node mystery-traffic.js <apiUrl> <seconds>): every api route gets
// a steady open-loop stream, so whichever fault was drawn has requests to act on. It stops by
// itself after <seconds>, or on SIGTERM (reveal, reset, a new incident).
import { OpenLoopStream, constantRate } from '@runtime-lab/scenarios';
import { API_ROUTES, type ApiRoute } from './mystery-catalogue.js';

const RATES: Record<ApiRoute, number> = { ping: 5, orders: 2, report: 2, hash: 2, config: 2, checkout: 2 };

const [apiUrl, secondsText] = process.argv.slice(2);
const seconds = Number(secondsText);
if (!apiUrl || !Number.isFinite(seconds) || seconds <= 0) {
  console.error('usage: mystery-traffic.js <apiUrl> <seconds>');
  process.exit(2);
}
const streams = (Object.keys(API_ROUTES) as ApiRoute[]).map((route) => {
  const { method, path } = API_ROUTES[route];
  return new OpenLoopStream({
    url: new URL(path, apiUrl).href,
    method,
    ...(method === 'POST' ? { body: '{}' } : {}),
    timeoutMs: 10_000,
    durationMs: seconds * 1000,
    segments: constantRate(RATES[route]),
    onRecords: () => undefined, // load only: the attendee measures with the lab's own tools
  });
});
const stop = (): void => {
  void Promise.all(streams.map((s) => s.kill())).then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
await Promise.all(streams.map((s) => s.ready()));
const start = Date.now() + 50;
for (const s of streams) s.start(start);
await Promise.all(streams.map((s) => s.done()));
process.exit(0);
