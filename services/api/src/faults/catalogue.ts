// The one machine-readable description of every fault and mitigation. The admin API's
// validation, the control page, the lab_fault_* metrics and docs/faults.md are all derived
// from this object, so they cannot drift apart. Other processes (the scenario runner, the CLI)
// do not import it: they fetch it from the running api (GET /admin/catalogue), so they check
// against the catalogue of the api they actually talk to.

export const ROUTE_NAMES = ['ping', 'orders', 'report', 'hash', 'config', 'checkout'] as const;
export type RouteName = (typeof ROUTE_NAMES)[number];

/** URL of each route name (the route table of docs/services.md). */
export const ROUTE_URLS: Readonly<Record<RouteName, { method: 'GET' | 'POST'; url: string }>> = {
  ping: { method: 'GET', url: '/api/ping' },
  orders: { method: 'GET', url: '/api/orders' },
  report: { method: 'POST', url: '/api/report' },
  hash: { method: 'GET', url: '/api/hash' },
  config: { method: 'GET', url: '/api/config' },
  checkout: { method: 'POST', url: '/api/checkout' },
};

export const BLOCKING_MODES = ['cpu', 'sleep', 'sync-io', 'json', 'regex', 'microtask', 'chunked', 'child-process'] as const;
export type BlockingMode = (typeof BLOCKING_MODES)[number];

export interface IntegerParam {
  readonly type: 'integer';
  readonly default: number;
  readonly min: number;
  /** Larger values are clamped to this (and the response says so); smaller than min is a 400. */
  readonly max: number;
  readonly unit?: 'ms' | 's' | 'threads' | 'jobs' | 'calls' | 'tasks' | 'iterations' | 'requests';
  readonly description: string;
}

export interface NumberParam {
  readonly type: 'number';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly description: string;
}

export interface EnumParam {
  readonly type: 'enum';
  readonly values: readonly string[];
  readonly default: string;
  readonly description: string;
}

/** A non-empty subset of `values`, without duplicates. */
export interface SetParam {
  readonly type: 'set';
  readonly values: readonly string[];
  readonly default: readonly string[];
  readonly description: string;
}

/** Where an input trigger looks: a request header, a query parameter or a top-level JSON body field. */
export const TRIGGER_SOURCES = ['header', 'query', 'body'] as const;
export type TriggerSource = (typeof TRIGGER_SOURCES)[number];
/** Bounds of a trigger's text (a trigger is echoed by GET /admin/faults and the control page). */
export const TRIGGER_LIMITS = { maxNameLength: 64, maxValueLength: 256 } as const;

/**
 * An input trigger, `<source>:<name>=<value>` (e.g. `body:customer=acme`), or '' for none: the
 * fault fires only on requests whose header, query parameter or body field equals the value.
 */
export interface TriggerParam {
  readonly type: 'trigger';
  readonly default: '';
  /** The sources the fault's routes can carry (GET /api/hash has no body); others are refused. */
  readonly sources: readonly TriggerSource[];
  readonly description: string;
}

export type ParamSpec = IntegerParam | NumberParam | EnumParam | SetParam | TriggerParam;

export type ToggleKind = 'fault' | 'mitigation';

export interface ToggleSpec {
  readonly kind: ToggleKind;
  readonly title: string;
  readonly description: string;
  /** What a learner should see while it is on. */
  readonly observe: string;
  /** Routes whose behaviour it changes (for `blocking`, the `routes` parameter decides). */
  readonly routes: readonly RouteName[];
  /** For a fault: the mitigations that remove or bound it. For a mitigation: the faults it answers. */
  readonly related: readonly string[];
  readonly params: Readonly<Record<string, ParamSpec>>;
}

const TRIGGER_FORMS: Readonly<Record<TriggerSource, string>> = {
  header: '`header:<name>=<value>`',
  query: '`query:<name>=<value>`',
  body: '`body:<field>=<value>` (a top-level JSON field; numbers and booleans compare as text)',
};

/** A fault's `trigger` parameter: which requests it fires on (`what`), in the sources its routes can carry. */
function triggerParam(sources: readonly TriggerSource[], what: string): TriggerParam {
  const forms = sources.map((s) => TRIGGER_FORMS[s]);
  return {
    type: 'trigger',
    default: '',
    sources,
    description: `${what} Form: ${forms.slice(0, -1).join(', ')} or ${forms.at(-1)}; empty = every request.`,
  };
}

/** Every toggle expires after ttlSeconds unless renewed by another PUT. */
export const TTL_SECONDS = { default: 600, min: 1, max: 3600 } as const;

/**
 * Hard safety cap on any queue the lab lets grow "unbounded": the process must never die of
 * its own fault. Reaching it rejects the excess (counted), it never crashes.
 */
export const HARD_QUEUE_CAP = 10_000;

export const catalogue = {
  blocking: {
    kind: 'fault',
    title: 'Blocking the event loop',
    description:
      'Runs synchronous work on the main thread inside the chosen routes. While it runs, no other request, timer or ' +
      'metric scrape on the main loop can make progress. Modes are real incident patterns; `chunked` (yields with ' +
      'setImmediate between 2 ms slices) and `child-process` (burns the CPU in another process) are the controls ' +
      'that do the same work without stalling the loop.',
    observe:
      'Client-side latency of /api/ping rises by up to the block duration times the concurrency while the ' +
      'server-side histogram of /api/ping stays near zero; loop delay and ELU jump.',
    routes: ['orders'],
    related: ['offload'],
    params: {
      mode: {
        type: 'enum',
        values: BLOCKING_MODES,
        default: 'cpu',
        description:
          'cpu: busy spin; sleep: Atomics.wait (a synchronous sleep); sync-io: readFileSync + gzipSync; json: huge ' +
          'JSON.stringify/parse; regex: catastrophic backtracking; microtask: an async chain that never yields to I/O; ' +
          'chunked: same CPU in slices with setImmediate yields (control); child-process: CPU in a child process (control).',
      },
      durationMs: {
        type: 'integer',
        default: 200,
        min: 1,
        max: 30_000,
        unit: 'ms',
        description: 'Work per affected request (for chunked and child-process: CPU time, spent off the loop or in slices).',
      },
      fraction: {
        type: 'number',
        default: 1,
        min: 0,
        max: 1,
        description:
          'Share of requests to the affected routes that do the work (0 = none, 1 = all); with a trigger, the share of the matching requests.',
      },
      routes: {
        type: 'set',
        values: ROUTE_NAMES,
        default: ['orders'],
        description: 'Routes that do the blocking work (at least one).',
      },
      trigger: triggerParam(
        TRIGGER_SOURCES,
        'Fire only on requests to these routes carrying this input ("this customer\'s payload hangs the regex"); ' +
          '`fraction` then applies to the matching requests.',
      ),
    },
  },
  'executor-saturation': {
    kind: 'fault',
    title: 'Executor (worker pool) saturation',
    description:
      'Resizes the piscina pool behind POST /api/report to `threads` workers and makes every report task burn ' +
      '`taskMs` of CPU in the worker. Tasks beyond the threads wait in the pool queue; the main loop stays free.',
    observe:
      'runtime_pool_queue_size{pool="report"} and runtime_pool_wait_seconds grow while loop delay and the other ' +
      'routes (e.g. /api/orders) stay fast: the backlog hides inside the executor.',
    routes: ['report'],
    related: ['larger-pool', 'load-shedding'],
    params: {
      threads: { type: 'integer', default: 1, min: 1, max: 16, unit: 'threads', description: 'Worker threads of the report pool.' },
      taskMs: { type: 'integer', default: 200, min: 1, max: 10_000, unit: 'ms', description: 'CPU time of one report task.' },
      maxQueue: {
        type: 'integer',
        default: 0,
        min: 0,
        max: HARD_QUEUE_CAP,
        unit: 'tasks',
        description: `Pool queue bound: 0 = unbounded (still hard-capped at ${HARD_QUEUE_CAP} queued tasks); overflow answers 503.`,
      },
      trigger: triggerParam(
        TRIGGER_SOURCES,
        "Only reports requested with this input (e.g. POST /api/report's `customer`) burn `taskMs`; the others run the " +
          'healthy short task. The pool is resized to `threads` for every request (its size is not per request), so the ' +
          'others still queue behind the long tasks: "one customer\'s report fills the pool".',
      ),
    },
  },
  'threadpool-saturation': {
    kind: 'fault',
    title: 'libuv threadpool saturation',
    description:
      'Makes GET /api/hash submit `jobsPerRequest` async pbkdf2 (sha512) jobs of `iterations` each to the libuv ' +
      'threadpool, `concurrency` at a time. The threadpool (UV_THREADPOOL_SIZE threads, default 4, fixed at ' +
      'start-up) is shared with fs and dns, so GET /api/config (an async file read) queues behind the crypto.',
    observe:
      '/api/config latency and runtime_threadpool_canary_seconds rise while event-loop delay stays low: ' +
      'nothing on the main thread is busy, it is all waiting for the threadpool.',
    routes: ['hash', 'config'],
    related: ['offload'],
    params: {
      jobsPerRequest: {
        type: 'integer',
        default: 4,
        min: 1,
        max: 64,
        unit: 'jobs',
        description: 'pbkdf2 jobs per /api/hash request.',
      },
      iterations: {
        type: 'integer',
        default: 100_000,
        min: 1_000,
        max: 1_000_000,
        unit: 'iterations',
        description:
          'pbkdf2-sha512 iterations per job: a fixed amount of work, whatever the machine (100 000 took 184–392 ms on one core of the shared 2-core lab machine).',
      },
      concurrency: {
        type: 'integer',
        default: 4,
        min: 1,
        max: 64,
        unit: 'jobs',
        description: 'How many of one request’s jobs are submitted at once (1 = one after another).',
      },
      trigger: triggerParam(
        ['header', 'query'],
        'Only /api/hash requests carrying this input submit these jobs; the others submit the healthy single light job ' +
          '(GET has no body, so no `body:` trigger). /api/config never checks it: it is the victim, queueing behind ' +
          'whatever the matching requests submitted.',
      ),
    },
  },
  'queue-amplification': {
    kind: 'fault',
    title: 'Queue amplification',
    description:
      'POST /api/checkout fans out `fanOut` calls to the downstream service through an in-process queue that ' +
      'dispatches `downstreamConcurrency` calls at a time. Downstream is set to `downstreamLatencyMs` (log-normal) ' +
      'and a concurrency limit of `downstreamConcurrency`. A call times out after `timeoutMs` measured from the ' +
      'moment it was queued and is retried `retries` times with exponential backoff. The timeout does not cancel ' +
      'anything: the abandoned attempt stays queued, is still sent and holds its dispatch slot until downstream ' +
      'answers: work whose caller already gave up, while the live callers queue behind it.',
    observe:
      'lab_checkout_backlog grows past the number of calls anyone still waits for, lab_checkout_downstream_calls ' +
      '(per checkout) and lab_downstream_retries_total rise, and nearly every checkout ends in a 504 although ' +
      'downstream is busy all the time: serving calls whose callers have gone.',
    routes: ['checkout'],
    related: ['load-shedding', 'retry-budget', 'deadline-propagation'],
    params: {
      fanOut: { type: 'integer', default: 5, min: 1, max: 20, unit: 'calls', description: 'Downstream calls per checkout.' },
      downstreamLatencyMs: {
        type: 'integer',
        default: 200,
        min: 1,
        max: 10_000,
        unit: 'ms',
        description: 'Median downstream latency (log-normal, sigma 0.25: p99 ≈ 1.8 × median).',
      },
      downstreamConcurrency: {
        type: 'integer',
        default: 4,
        min: 1,
        max: 256,
        unit: 'requests',
        description: 'Downstream concurrency limit (requests beyond it wait); the api dispatches this many at a time.',
      },
      timeoutMs: {
        type: 'integer',
        default: 500,
        min: 10,
        max: 30_000,
        unit: 'ms',
        description: 'Client timeout per attempt, from the moment the call is queued.',
      },
      retries: { type: 'integer', default: 3, min: 0, max: 5, description: 'Retries after a timeout or an error.' },
      backoffMs: {
        type: 'integer',
        default: 50,
        min: 0,
        max: 10_000,
        unit: 'ms',
        description: 'Backoff before retry n is backoffMs × 2^(n-1).',
      },
      queueLimit: {
        type: 'integer',
        default: 0,
        min: 0,
        max: HARD_QUEUE_CAP,
        unit: 'calls',
        description: `In-process queue bound: 0 = unbounded (still hard-capped at ${HARD_QUEUE_CAP} calls); a call beyond it fails at once (and may be retried).`,
      },
      trigger: triggerParam(
        TRIGGER_SOURCES,
        'Only checkouts carrying this input fan out `fanOut` calls with this `timeoutMs`, `retries` and `backoffMs`; the ' +
          "others keep the healthy checkout's. Downstream's latency and limit and the dispatch concurrency are shared, so " +
          'they hold for every checkout, and the others queue behind the amplified calls. POST /api/checkout accepts any ' +
          'JSON body for `body:` triggers (and ignores it otherwise).',
      ),
    },
  },
  offload: {
    kind: 'mitigation',
    title: 'Offload to the worker pool',
    description:
      'Runs the blocking fault’s work, and /api/hash’s crypto, in a dedicated piscina pool (`offload`) instead of ' +
      'on the main loop or the libuv threadpool. The work still costs CPU; it just stops stalling everything else.',
    observe:
      '/api/ping stays fast under the blocking fault; /api/config and the threadpool canary recover under threadpool ' +
      'saturation; runtime_pool_queue_size{pool="offload"} shows where the work went.',
    routes: ['ping', 'orders', 'report', 'hash', 'config', 'checkout'],
    related: ['blocking', 'threadpool-saturation'],
    params: {
      threads: {
        type: 'integer',
        default: 1,
        min: 1,
        max: 16,
        unit: 'threads',
        description: 'Worker threads of the offload pool (default 1 leaves the other core of a 2-core box to the event loop).',
      },
    },
  },
  'load-shedding': {
    kind: 'mitigation',
    title: 'Bounded queue + load shedding',
    description:
      'Refuses work it cannot start soon instead of queueing it: a checkout is answered 503 with Retry-After when ' +
      'backlog + fanOut would exceed `maxBacklog`, and the checkout queue itself is bounded to `maxBacklog` calls ' +
      '(a retry that finds it full fails at once); the report pool queue is bounded to `maxPoolQueue` tasks and ' +
      'overflow is answered 503 with Retry-After.',
    observe:
      'lab_checkout_backlog stays at or below maxBacklog, lab_checkout_shed_total rises, shed clients get 503 with ' +
      'Retry-After at once instead of a slow 504.',
    routes: ['checkout', 'report'],
    related: ['queue-amplification', 'executor-saturation'],
    params: {
      maxBacklog: {
        type: 'integer',
        default: 50,
        min: 1,
        max: HARD_QUEUE_CAP,
        unit: 'calls',
        description: 'Checkout admission bound on queued downstream calls.',
      },
      maxPoolQueue: {
        type: 'integer',
        default: 8,
        min: 1,
        max: HARD_QUEUE_CAP,
        unit: 'tasks',
        description: 'Report pool queue bound while shedding is on.',
      },
      retryAfterSeconds: { type: 'integer', default: 1, min: 1, max: 60, unit: 's', description: 'Retry-After sent with a 503.' },
    },
  },
  'retry-budget': {
    kind: 'mitigation',
    title: 'Retry budget',
    description:
      'Allows a retry only while retries in the last 10 s stay below `ratio` × first attempts in the last 10 s plus ' +
      '`minRetriesPerSecond` × 10 (Finagle-style). Retries stop multiplying load exactly when downstream is slow.',
    observe: 'lab_downstream_retries_total flattens and lab_checkout_downstream_calls per checkout falls back towards fanOut.',
    routes: ['checkout'],
    related: ['queue-amplification'],
    params: {
      ratio: { type: 'number', default: 0.1, min: 0, max: 1, description: 'Retries allowed per first attempt.' },
      minRetriesPerSecond: {
        type: 'integer',
        default: 1,
        min: 0,
        max: 100,
        description: 'Retries always allowed per second (so a quiet service can still retry).',
      },
    },
  },
  'deadline-propagation': {
    kind: 'mitigation',
    title: 'Deadline propagation',
    description:
      'Gives every downstream call a deadline: when the caller gives up, its queued call is dropped and its ' +
      'in-flight call is cancelled (freeing the slot); a checkout whose client disconnected cancels its calls; ' +
      'downstream receives the remaining budget (X-Deadline-Ms), drops requests that expire while waiting and stops ' +
      'work when the caller hangs up.',
    observe:
      'lab_downstream_calls_total{outcome="dropped"} rises, lab_checkout_backlog and downstream waiting stay bounded ' +
      'by what can be served within the timeout.',
    routes: ['checkout'],
    related: ['queue-amplification'],
    params: {
      minRemainingMs: {
        type: 'integer',
        default: 10,
        min: 0,
        max: 10_000,
        unit: 'ms',
        description: 'A call with less budget left than this is not worth sending and is dropped.',
      },
    },
  },
  'larger-pool': {
    kind: 'mitigation',
    title: 'Larger pool',
    description:
      'Gives the report pool `threads` workers (overrides executor-saturation’s threads). On CPU-bound work more ' +
      'threads than cores trade queue wait for run time: the queue shrinks, the CPU does not grow.',
    observe: 'runtime_pool_queue_size{pool="report"} and wait time fall; runtime_pool_run_seconds may rise if threads exceed cores.',
    routes: ['report'],
    related: ['executor-saturation'],
    params: {
      threads: { type: 'integer', default: 4, min: 1, max: 16, unit: 'threads', description: 'Worker threads of the report pool.' },
    },
  },
} as const satisfies Readonly<Record<string, ToggleSpec>>;

export type Catalogue = typeof catalogue;
export type ToggleName = keyof Catalogue;
export type FaultName = { [N in ToggleName]: Catalogue[N]['kind'] extends 'fault' ? N : never }[ToggleName];
export type MitigationName = Exclude<ToggleName, FaultName>;

export const TOGGLE_NAMES = Object.keys(catalogue) as ToggleName[];
export const FAULT_NAMES = TOGGLE_NAMES.filter((n) => catalogue[n].kind === 'fault') as FaultName[];
export const MITIGATION_NAMES = TOGGLE_NAMES.filter((n) => catalogue[n].kind === 'mitigation') as MitigationName[];

type ValueOf<P> = P extends { type: 'integer' | 'number' }
  ? number
  : P extends { type: 'trigger' }
    ? string
    : P extends { type: 'enum'; values: readonly (infer V)[] }
      ? V
      : P extends { type: 'set'; values: readonly (infer V)[] }
        ? V[]
        : never;

/** The validated, filled parameters of one toggle, e.g. ParamsOf<'blocking'>['durationMs']: number. */
export type ParamsOf<N extends ToggleName> = { -readonly [K in keyof Catalogue[N]['params']]: ValueOf<Catalogue[N]['params'][K]> };

export function isToggleName(name: string): name is ToggleName {
  return Object.hasOwn(catalogue, name);
}

/** The parameters a toggle gets when its PUT body names none. */
export function defaultParams<N extends ToggleName>(name: N): ParamsOf<N> {
  const params: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(catalogue[name].params as Record<string, ParamSpec>)) {
    params[key] = spec.type === 'set' ? [...spec.default] : spec.default;
  }
  return params as ParamsOf<N>;
}
