// The mystery incidents: which faults of the api's catalogue can be drawn, the parameter ranges
// (chosen so the background traffic makes each one visible), the route a diagnosis must name,
// which mitigations help, and which route's client latency shows whether a mitigation worked.

export const MYSTERY_KINDS = ['blocking', 'executor-saturation', 'threadpool-saturation', 'queue-amplification'] as const;
export type MysteryKind = (typeof MYSTERY_KINDS)[number];

/**
 * Route names of the api and their requests, as a client sees them (docs/services.md's route table;
 * the workshop is a client and imports no service). The workshop test checks each one answers.
 */
export const API_ROUTES = {
  ping: { method: 'GET', path: '/api/ping' },
  orders: { method: 'GET', path: '/api/orders' },
  report: { method: 'POST', path: '/api/report' },
  hash: { method: 'GET', path: '/api/hash' },
  config: { method: 'GET', path: '/api/config' },
  checkout: { method: 'POST', path: '/api/checkout' },
} as const;
export type ApiRoute = keyof typeof API_ROUTES;
export const API_ROUTE_NAMES = Object.keys(API_ROUTES) as ApiRoute[];

export interface MysteryDraw {
  seed: number;
  kind: MysteryKind;
  /** The routes a right diagnosis may name (the one doing the damage). */
  routes: ApiRoute[];
  params: Record<string, unknown>;
}

export interface MysterySpec {
  draw(random: () => number): { routes: ApiRoute[]; params: Record<string, unknown> };
  /** The mitigations that halve the telling route's P99 in this draw's range (verified live by a test). */
  mitigations: string[];
  /** The route whose client P99 (open loop) a mitigation must bring down. */
  measureRoute: ApiRoute;
}

const between = (random: () => number, min: number, max: number, step = 1): number =>
  min + step * Math.floor(random() * ((max - min) / step + 1));
const pick = <T>(random: () => number, values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;

export const MYSTERIES: Record<MysteryKind, MysterySpec> = {
  blocking: {
    draw: (random) => {
      const route = pick(random, ['orders', 'report', 'config'] as const);
      return {
        routes: [route],
        params: {
          mode: pick(random, ['cpu', 'sync-io', 'json'] as const),
          durationMs: between(random, 150, 350, 50),
          fraction: 1,
          routes: [route],
        },
      };
    },
    mitigations: ['offload'],
    measureRoute: 'ping',
  },
  'executor-saturation': {
    draw: (random) => ({ routes: ['report'], params: { threads: 1, taskMs: between(random, 600, 900, 100), maxQueue: 0 } }),
    // Measured live (packages/cli/test/workshop-mitigations.test.ts): larger-pool halves the P99.
    // load-shedding with the api's default bound (8 queued tasks) caps the wait at about 8 tasks of
    // 600–900 ms on one thread: it stops the growth but measured 10 s → 6.7 s, not half.
    mitigations: ['larger-pool'],
    measureRoute: 'report',
  },
  'threadpool-saturation': {
    // The jobs must outrun libuv's pool on a quiet machine too, and their backlog must drain once
    // offload (one worker thread) takes the new jobs: 2 /api/hash per second × 6–10 jobs of 100 000
    // iterations (~60–80 ms on one core here) did not outrun it (/api/config P99 11 ms, clean-clone
    // CI run); 200 000 sat at the edge (269–436 ms, and once larger-pool "halved" it by chance);
    // 500 000 built a backlog offload could not drain within the measurement (10 s → 10 s);
    // 300 000: 10 s (timeouts) → 8–30 ms with offload, larger-pool no help (2 runs, quiet machine).
    draw: (random) => ({ routes: ['hash'], params: { jobsPerRequest: between(random, 6, 10), iterations: 300_000, concurrency: 4 } }),
    mitigations: ['offload'],
    measureRoute: 'config',
  },
  'queue-amplification': {
    draw: (random) => ({
      routes: ['checkout'],
      params: {
        fanOut: between(random, 4, 6),
        downstreamLatencyMs: between(random, 300, 500, 50),
        downstreamConcurrency: 2,
        timeoutMs: 500,
        retries: 3,
        backoffMs: 50,
      },
    }),
    // Measured live: load-shedding and retry-budget halve the P99. deadline-propagation drops work
    // whose caller has gone, but here first attempts alone (2 checkouts/s × 4–6 calls) exceed what a
    // downstream of 2 slots at 300–500 ms serves (4–7 calls/s): measured 2.4 s → 2.4 s.
    mitigations: ['load-shedding', 'retry-budget'],
    measureRoute: 'checkout',
  },
};

/** Draws an incident from a seed: the same seed gives the same incident. */
export function drawMystery(seed: number, random: () => number, only?: MysteryKind): MysteryDraw {
  const kind = only ?? pick(random, MYSTERY_KINDS);
  const { routes, params } = MYSTERIES[kind].draw(random);
  return { seed, kind, routes, params };
}
