// `lab workshop mystery start|diagnose|mitigate|reveal`: a hidden fault on the lab api (switched
// on through PUT /admin/mystery, which every view shows as off), background traffic so it acts,
// and checks of the attendee's diagnosis (fault kind + route) and mitigation (a signal measured
// before and after).
import { spawn } from 'node:child_process';
import { AdminClient, OpenLoopStream, type OpenLoopRecord, constantRate, seededRandom, warmSocketsFor } from '@runtime-lab/scenarios';
import { WorkshopError } from './errors.js';
import {
  API_ROUTE_NAMES,
  API_ROUTES,
  type ApiRoute,
  MYSTERIES,
  MYSTERY_KINDS,
  type MysteryDraw,
  type MysteryKind,
  drawMystery,
} from './mystery-catalogue.js';
import { clearMysteryFile, type MysteryState, readMystery, seal, unseal, updateProgress, writeMystery } from './state.js';

/** How long a mystery incident lasts unless --ttl says otherwise, and the range --ttl accepts (seconds). */
export const MYSTERY_TTL_SECONDS = { default: 600, min: 10, max: 3600 } as const;
/** How long `mitigate` measures on each side of the change unless --seconds says otherwise. */
export const MITIGATE_SECONDS = { default: 5, min: 2, max: 60 } as const;

/** What each kind would show, for a hint after a wrong diagnosis: the signal to go and look at. */
const WOULD_SHOW: Record<MysteryKind, string> = {
  blocking:
    'a blocked loop shows as event-loop delay and ELU rising, and every route (even /api/ping) slow from the client while server-side times stay low',
  'executor-saturation':
    'a saturated executor shows as runtime_pool_queue_size / runtime_pool_wait_seconds of one pool rising while loop delay stays low and other routes stay fast',
  'threadpool-saturation':
    'a saturated libuv threadpool shows as runtime_threadpool_canary_seconds rising with fs-bound routes slow while loop delay stays low',
  'queue-amplification':
    'queue amplification shows as lab_checkout_backlog and downstream calls per checkout rising, with 504s, while downstream is busy',
};

async function mysteryCall(
  apiUrl: string,
  method: 'GET' | 'PUT' | 'DELETE',
  body?: unknown,
): Promise<{ active: boolean; remainingSeconds: number | null }> {
  const headers: Record<string, string> = {};
  if (process.env.LAB_ADMIN_TOKEN) headers.authorization = `Bearer ${process.env.LAB_ADMIN_TOKEN}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(new URL('/admin/mystery', apiUrl), {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new WorkshopError(
      'LAB_WORKSHOP_UNAVAILABLE',
      `the lab api does not answer at ${apiUrl} (${error instanceof Error ? error.message : String(error)}); start it with \`lab up\` or give --api`,
    );
  }
  const text = await response.text();
  if (!response.ok)
    throw new WorkshopError('LAB_WORKSHOP_UNAVAILABLE', `${method} /admin/mystery: HTTP ${response.status}: ${text.slice(0, 300)}`);
  const parsed = JSON.parse(text) as {
    mystery?: { active: boolean; remainingSeconds: number | null };
    active?: boolean;
    remainingSeconds?: number | null;
  };
  return parsed.mystery ?? { active: parsed.active ?? false, remainingSeconds: parsed.remainingSeconds ?? null };
}

function current(stateDir: string): { state: MysteryState; draw: MysteryDraw } {
  const state = readMystery(stateDir);
  if (!state) throw new WorkshopError('LAB_WORKSHOP_USAGE', 'no mystery incident is running; start one with `lab workshop mystery start`');
  return { state, draw: unseal<MysteryDraw>(state.sealed) };
}

function stopTraffic(state: MysteryState | undefined): void {
  if (!state?.trafficPid) return;
  try {
    process.kill(state.trafficPid, 'SIGTERM');
  } catch {
    // already gone (it stops by itself at the end of the incident)
  }
}

export interface StartOptions {
  apiUrl: string;
  stateDir: string;
  seed?: number;
  /** Restrict the draw to one kind (instructors and tests); attendees leave it out. */
  kind?: MysteryKind;
  ttlSeconds?: number;
  /** Start the background traffic process (default true). */
  traffic?: boolean;
}

export async function startMystery(options: StartOptions): Promise<{ ttlSeconds: number; seed: number; number: number }> {
  if (options.kind !== undefined && !MYSTERY_KINDS.includes(options.kind)) {
    throw new WorkshopError('LAB_WORKSHOP_USAGE', `no mystery kind "${options.kind}"; allowed: ${MYSTERY_KINDS.join(', ')}`);
  }
  const ttlSeconds = options.ttlSeconds ?? MYSTERY_TTL_SECONDS.default;
  const { min, max } = MYSTERY_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < min || ttlSeconds > max)
    throw new WorkshopError('LAB_WORKSHOP_USAGE', `--ttl ${ttlSeconds}: allowed: an integer from ${min} to ${max} seconds`);
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const draw = drawMystery(seed, seededRandom(seed), options.kind);
  await endMystery(options.stateDir, 'replaced');
  await mysteryCall(options.apiUrl, 'PUT', { fault: draw.kind, ...draw.params, ttlSeconds });
  let trafficPid: number | null = null;
  if (options.traffic !== false) {
    const child = spawn(process.execPath, [new URL('./mystery-traffic.js', import.meta.url).pathname, options.apiUrl, String(ttlSeconds)], {
      detached: true,
      stdio: 'ignore',
    });
    child.unref();
    trafficPid = child.pid ?? null;
  }
  writeMystery(options.stateDir, {
    sealed: seal(draw),
    apiUrl: options.apiUrl,
    startedAt: new Date().toISOString(),
    ttlSeconds,
    trafficPid,
    mitigations: [],
  });
  const progress = updateProgress(options.stateDir, (p) => {
    p.incidents.push({ startedAt: new Date().toISOString(), diagnosed: false, mitigated: false, revealed: false });
  });
  return { ttlSeconds, seed, number: progress.incidents.length };
}

export interface Check {
  correct: boolean;
  message: string;
}

/**
 * Fails when the hidden fault is no longer on: it expired, or something switched every fault off
 * (`lab run` does before and after each run, `lab fault clear`, the page's reset).
 */
async function assertStillOn(state: MysteryState): Promise<void> {
  if ((await mysteryCall(state.apiUrl, 'GET')).active) return;
  throw new WorkshopError(
    'LAB_WORKSHOP_UNAVAILABLE',
    "the incident is no longer on: it expired, or every fault was switched off (lab run, lab fault clear, the page's reset all do); `lab workshop mystery reveal` shows what it was, `mystery start` begins another",
  );
}

export async function diagnoseMystery(stateDir: string, kind: string, route: string): Promise<Check> {
  if (!(MYSTERY_KINDS as readonly string[]).includes(kind))
    throw new WorkshopError('LAB_WORKSHOP_USAGE', `no fault kind "${kind}"; allowed: ${MYSTERY_KINDS.join(', ')}`);
  const routeName = route.replace(/^\/api\//, '');
  if (!(API_ROUTE_NAMES as string[]).includes(routeName))
    throw new WorkshopError('LAB_WORKSHOP_USAGE', `no route "${route}"; allowed: ${API_ROUTE_NAMES.join(', ')} (or /api/<name>)`);
  const { state, draw } = current(stateDir);
  await assertStillOn(state);
  const kindRight = draw.kind === kind;
  const routeRight = draw.routes.includes(routeName as ApiRoute);
  if (kindRight && routeRight) {
    updateProgress(stateDir, (p) => {
      const last = p.incidents[p.incidents.length - 1];
      if (last) last.diagnosed = true;
    });
    return {
      correct: true,
      message: `right: ${kind} on ${API_ROUTES[routeName as ApiRoute].path}. Now mitigate it: \`lab workshop mystery mitigate <mitigation>\`.`,
    };
  }
  if (kindRight)
    return {
      correct: false,
      message: `the kind is right, the route is not: which route's own client latency (or queue) rose, rather than which routes suffered with it?`,
    };
  return { correct: false, message: `not ${kind}: ${WOULD_SHOW[kind as MysteryKind]}. Is that what the signals show?` };
}

/**
 * The measuring client's rate per route. Light on purpose: on a route the fault has made slow, a
 * brisk probe becomes a load of its own (10/s on /api/report, whose pool then finishes one or two
 * tasks a second, or on /api/checkout, each request fanning out to a downstream of 2 slots, kept
 * every mitigation from helping: the measurement was measuring itself). /api/ping costs nothing.
 */
const MEASURE_RATE_PER_SECOND: Record<ApiRoute, number> = { ping: 10, orders: 2, report: 2, hash: 2, config: 2, checkout: 2 };

async function probeP99Seconds(apiUrl: string, route: ApiRoute, seconds: number): Promise<{ p99: number | null; requests: number }> {
  const records: OpenLoopRecord[] = [];
  const { method, path } = API_ROUTES[route];
  const rate = MEASURE_RATE_PER_SECOND[route];
  const stream = new OpenLoopStream({
    url: new URL(path, apiUrl).href,
    method,
    ...(method === 'POST' ? { body: '{}' } : {}),
    timeoutMs: 10_000,
    durationMs: seconds * 1000,
    segments: constantRate(rate),
    warmup: { path: '/health', sockets: warmSocketsFor(rate) },
    onRecords: (r) => records.push(...r),
  });
  await stream.ready();
  stream.start(Date.now() + 50);
  await stream.done();
  const latencies = records.map((r) => r.latencyMs).sort((a, b) => a - b);
  if (!latencies.length) return { p99: null, requests: 0 };
  return {
    p99: (latencies[Math.min(latencies.length - 1, Math.ceil(0.99 * latencies.length) - 1)] as number) / 1000,
    requests: latencies.length,
  };
}

/** The longest `mitigate` waits for the backlog from before the change to drain. */
const SETTLE_MAX_MS = 30_000;

/**
 * Waits until one request to `route`, sent after the mitigation was switched on, has come back (at
 * most SETTLE_MAX_MS). Work queued before the change still runs the old way: libuv's threadpool
 * queue cannot be cancelled, so after a minute of threadpool saturation /api/config waited 15 s
 * behind it once `offload` was on, and answered in milliseconds afterwards. A FIFO queue returns this
 * request only once what was ahead of it is done, so the "after" window measures the new regime.
 */
async function firstAnswerAfterChange(apiUrl: string, route: ApiRoute): Promise<void> {
  const { method, path } = API_ROUTES[route];
  try {
    const response = await fetch(new URL(path, apiUrl), {
      method,
      ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
      signal: AbortSignal.timeout(SETTLE_MAX_MS),
    });
    await response.arrayBuffer();
  } catch {
    // no answer within the limit: measure anyway, the figures will say so
  }
}

export interface MitigationCheck extends Check {
  beforeSeconds: number | null;
  afterSeconds: number | null;
  route: string;
}

/**
 * Measures the incident's telling route (open-loop P99, `seconds` each side), switches the
 * mitigation on, waits for the backlog from before the change (firstAnswerAfterChange), measures
 * again. It worked when the P99 at least halved (a ratio in the same run).
 */
export async function mitigateMystery(
  stateDir: string,
  mitigation: string,
  seconds: number = MITIGATE_SECONDS.default,
): Promise<MitigationCheck> {
  const { state, draw } = current(stateDir);
  const admin = new AdminClient(state.apiUrl);
  const catalogue = await admin.catalogue();
  const mitigations = Object.entries(catalogue.toggles)
    .filter(([, t]) => t.kind === 'mitigation')
    .map(([name]) => name);
  if (!mitigations.includes(mitigation))
    throw new WorkshopError('LAB_WORKSHOP_USAGE', `no mitigation "${mitigation}"; allowed: ${mitigations.join(', ')}`);
  await assertStillOn(state);
  const route = MYSTERIES[draw.kind].measureRoute;
  const before = await probeP99Seconds(state.apiUrl, route, seconds);
  const remaining = (await mysteryCall(state.apiUrl, 'GET')).remainingSeconds ?? 60;
  await admin.set(mitigation, {}, Math.max(10, remaining));
  writeMystery(stateDir, { ...state, mitigations: [...new Set([...state.mitigations, mitigation])] });
  await new Promise((r) => setTimeout(r, 1000)); // pools resize
  await firstAnswerAfterChange(state.apiUrl, route);
  const after = await probeP99Seconds(state.apiUrl, route, seconds);
  const path = API_ROUTES[route].path;
  const worked = before.p99 !== null && after.p99 !== null && after.p99 <= before.p99 / 2;
  const figures = `client P99 of ${path} (open loop) ${fmt(before.p99)} before, ${fmt(after.p99)} after`;
  if (worked) {
    updateProgress(stateDir, (p) => {
      const last = p.incidents[p.incidents.length - 1];
      if (last) last.mitigated = true;
    });
  }
  return {
    correct: worked,
    beforeSeconds: before.p99,
    afterSeconds: after.p99,
    route: path,
    message: worked
      ? `${mitigation} worked: ${figures}.`
      : `${mitigation} did not halve the latency: ${figures}. Which resource is the bottleneck, and does ${mitigation} give it more room or less work?`,
  };
}

const fmt = (s: number | null): string => (s === null ? 'n/a' : `${Math.round(s * 1000)} ms`);

export async function revealMystery(stateDir: string): Promise<{ draw: MysteryDraw }> {
  const { draw } = current(stateDir);
  updateProgress(stateDir, (p) => {
    const last = p.incidents[p.incidents.length - 1];
    if (last) last.revealed = true;
  });
  await endMystery(stateDir, 'revealed');
  return { draw };
}

/** Ends the running incident, if any: the hidden fault, its mitigations and its traffic off. */
export async function endMystery(stateDir: string, _why: 'revealed' | 'replaced' | 'reset'): Promise<void> {
  const state = readMystery(stateDir);
  if (!state) return;
  stopTraffic(state);
  try {
    await mysteryCall(state.apiUrl, 'DELETE');
    const admin = new AdminClient(state.apiUrl);
    for (const m of state.mitigations) await admin.clear(m);
  } catch {
    // the api is gone (stopped, restarted): its faults went with it, and they expire anyway
  }
  clearMysteryFile(stateDir);
}

export function describeDraw(draw: MysteryDraw): string {
  return `${draw.kind} on ${draw.routes.map((r) => API_ROUTES[r].path).join(', ')} with ${JSON.stringify(draw.params)} (seed ${draw.seed})`;
}
