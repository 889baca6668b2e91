// docs/faults.md, rendered from the catalogue so the docs cannot drift from what the API
// accepts. Regenerate with `pnpm --filter @runtime-lab/api faults-doc`; a test fails when the
// committed file is stale.
import { join } from 'node:path';
import {
  catalogue,
  FAULT_NAMES,
  HARD_QUEUE_CAP,
  type ParamSpec,
  ROUTE_URLS,
  type RouteName,
  TRIGGER_LIMITS,
  TRIGGER_SOURCES,
  type ToggleSpec,
  TTL_SECONDS,
} from '../faults/catalogue.js';
import { PACKAGE_ROOT } from '../paths.js';

/** Where the committed document lives (repo root docs/). */
export const FAULTS_DOC_PATH = join(PACKAGE_ROOT, '..', '..', 'docs', 'faults.md');

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function typeOf(spec: ParamSpec): string {
  switch (spec.type) {
    case 'integer':
      return `integer${spec.unit ? ` (${spec.unit})` : ''}`;
    case 'number':
      return 'number';
    case 'enum':
      return spec.values.map((v) => `\`${v}\``).join(' \\| ');
    case 'set':
      return `subset of ${spec.values.map((v) => `\`${v}\``).join(', ')}`;
    case 'trigger':
      return `input trigger (${spec.sources.map((s) => `\`${s}:…=…\``).join(', ')})`;
  }
}

function defaultOf(spec: ParamSpec): string {
  if (spec.type === 'trigger') return 'none';
  return spec.type === 'set' ? `\`${JSON.stringify(spec.default)}\`` : `\`${String(spec.default)}\``;
}

function rangeOf(spec: ParamSpec): string {
  if (spec.type === 'integer' || spec.type === 'number') return `≥ ${spec.min}; above ${spec.max}: clamped to ${spec.max}`;
  if (spec.type === 'trigger') return `name ≤ ${TRIGGER_LIMITS.maxNameLength}, value ≤ ${TRIGGER_LIMITS.maxValueLength} characters`;
  return spec.type === 'set' ? 'at least one' : '—';
}

function routeList(routes: readonly RouteName[]): string {
  return routes.map((r) => `\`${ROUTE_URLS[r].method} ${ROUTE_URLS[r].url}\``).join(', ');
}

function section(name: string, spec: ToggleSpec): string[] {
  const lines = [`### \`${name}\` — ${spec.title}`, '', spec.description, '', `**Look for:** ${spec.observe}`, ''];
  lines.push(`**Routes:** ${routeList(spec.routes)}  `);
  const relatedLabel = spec.kind === 'fault' ? 'Mitigations' : 'Answers';
  lines.push(`**${relatedLabel}:** ${spec.related.map((r) => `[\`${r}\`](#${r})`).join(', ')}`, '');
  const params = Object.entries(spec.params);
  if (params.length > 0) {
    lines.push('| parameter | type | default | allowed | meaning |', '|---|---|---|---|---|');
    for (const [param, p] of params) {
      lines.push(`| \`${param}\` | ${typeOf(p)} | ${defaultOf(p)} | ${rangeOf(p)} | ${cell(p.description)} |`);
    }
    lines.push('');
  }
  return lines;
}

/** Faults with a `trigger` parameter, and which sources each accepts (from the catalogue). */
function triggeredFaults(): string[] {
  return (Object.entries(catalogue) as [string, ToggleSpec][]).flatMap(([name, spec]) => {
    const trigger = Object.values(spec.params).find((p) => p.type === 'trigger');
    if (trigger?.type !== 'trigger') return [];
    return [
      `- [\`${name}\`](#${name}) (${trigger.sources.map((s) => `\`${s}\``).join(', ')}): ${trigger.description.replace(/ Form: .*$/, '')}`,
    ];
  });
}

function triggerSection(): string[] {
  const withTrigger = FAULT_NAMES.filter((n) => Object.hasOwn(catalogue[n].params, 'trigger'));
  const without = FAULT_NAMES.filter((n) => !withTrigger.includes(n));
  return [
    '<a id="input-triggers"></a>',
    '',
    '## Input triggers: "this customer\'s payload hangs the regex"',
    '',
    "Many incidents are caused by one input, not by load: one customer's e-mail address makes a validation regex",
    "backtrack for seconds, one tenant's report is a hundred times larger than the others, one cart fans out to every",
    'warehouse. The `trigger` parameter reproduces that: the fault fires only on requests that carry the input. Every',
    'fault takes one, with the same form and the same checks; what "fires" means follows from what the fault does:',
    '',
    ...triggeredFaults(),
    ...(without.length > 0 ? ['', `Without a trigger: ${without.map((n) => `\`${n}\``).join(', ')}.`] : []),
    '',
    `- Form: \`<source>:<name>=<value>\`, source one of ${TRIGGER_SOURCES.map((s) => `\`${s}\``).join(', ')} (a fault whose routes`,
    '  have no body refuses `body`, and so does `blocking` when none of its `routes` is a POST route: it could never',
    `  fire); the name is 1–${TRIGGER_LIMITS.maxNameLength} characters of \`A-Z a-z 0-9 _ . -\` (header`,
    '  names are case-insensitive, a body name is a top-level JSON field; numbers and booleans compare as their text), the',
    `  value 1–${TRIGGER_LIMITS.maxValueLength} printable characters, compared for equality. Anything else is a 400 naming \`trigger\` and`,
    '  the allowed form; nothing changes on a refusal. With `blocking`, `fraction` then applies to the matching requests.',
    '- `GET /admin/faults` shows the trigger as set. Metrics never carry the name or value (unbounded and possibly personal):',
    '  `lab_fault_trigger_requests_total{fault,source,outcome="matched"|"unmatched"}` counts the requests each trigger looked at.',
    '- `POST /api/report` accepts an optional `customer` string in its body, so `body:customer=…` has a field to match;',
    '  `POST /api/checkout` accepts any JSON body (ignored but for triggers).',
    '',
    'Examples:',
    '',
    '```sh',
    'lab fault set blocking mode=regex durationMs=800 routes=report trigger=body:customer=acme',
    'lab fault set executor-saturation threads=1 taskMs=2000 trigger=body:customer=acme',
    'lab fault set threadpool-saturation iterations=500000 trigger=header:x-tenant=acme',
    'curl -X PUT localhost:3000/admin/faults/blocking -H content-type:application/json \\',
    '  -d \'{"mode":"regex","durationMs":800,"routes":["orders"],"trigger":"header:x-tenant=acme"}\'',
    '```',
    '',
    "In a scenario: `faults: { blocking: { mode: 'regex', durationMs: 800, routes: ['report'], trigger: 'body:customer=acme' } }`,",
    'with a traffic stream that sends that body to some of the requests.',
    '',
    '### Reproduce it in your own service',
    '',
    "1. **Find the stall, then the request.** A stalled loop shows as loop delay and ELU jumping while most requests'",
    '   server-side latency stays calm (docs/measurement.md). The request that holds the loop is the exception: its own',
    "   handler ran the synchronous work, so its server-side duration is as long as the stall. Log each request's duration",
    "   with a request id (Fastify's `onResponse` hook) and look at the slowest ones around each loop-delay spike.",
    '   An input that makes a worker-pool task or a threadpool job long (a huge report, a password hash with a high cost',
    '   factor) does not stall the loop: the pool queue and wait time or the threadpool canary rise instead (the telemetry',
    "   plugin's `instrumentPool` and canary, docs/metrics.md), and the slow requests are the ones that waited there. An",
    '   input that makes one request fan out (a cart with hundreds of lines) shows as a backlog of outgoing calls and more',
    '   calls per request.',
    '2. **Find the input.** Among the slow requests, look for what they share that others do not: a tenant header, a',
    '   query parameter, a body field (an unusually long string, a repeated character, deep nesting). `node --cpu-prof` on',
    '   a replay of those requests names the function (often a regex, `JSON.parse` of a huge body or a sync crypto call).',
    '3. **Isolate it.** Replay one suspect request alone against an idle instance and measure its duration; then replay',
    '   normal traffic with and without it (a lab scenario with a traffic stream for each, pointed at your service): the',
    "   stall appears only with the input, and the other requests' client-side latency rises by its duration.",
    '4. **Keep it reproducible.** Turn the input into a test (the slow request should finish within a bound) and, for the',
    '   runtime lesson, reproduce the shape here with `trigger` on the fault of the same shape (loop stall: `blocking`;',
    '   long pool task: `executor-saturation`; heavy threadpool job: `threadpool-saturation`; fan-out: `queue-amplification`),',
    '   with every signal the lab measures.',
    '',
  ];
}

export function renderFaultsDoc(): string {
  const entries = Object.entries(catalogue) as [string, ToggleSpec][];
  const lines = [
    '# Faults and mitigations',
    '',
    '<!-- Generated from services/api/src/faults/catalogue.ts by `pnpm --filter @runtime-lab/api faults-doc`. Do not edit. -->',
    '',
    'Every fault is off when the api starts. Turn one on with `PUT /admin/faults/<name>` and a flat JSON body of',
    'parameters (all optional), off with `DELETE /admin/faults/<name>`, everything off with `DELETE /admin/faults`;',
    '`GET /admin/faults` lists all of them with their state, parameters and time left. The control page is `GET /admin`.',
    '',
    `- Every toggle expires after \`ttlSeconds\` (default ${TTL_SECONDS.default} s, ≥ ${TTL_SECONDS.min}; above ${TTL_SECONDS.max}: clamped to ${TTL_SECONDS.max}) unless renewed by another PUT.`,
    '- A value above its maximum is clamped, and the response lists it under `clamped: [{ param, requested, applied }]`',
    '  (JSON\'s `1e400` parses as Infinity: clamped too, reported as `requested: "Infinity"`); `-0` is 0;',
    '  anything else invalid (wrong type such as the string `"16"`, a fraction for an integer, below the minimum, `-1e400`,',
    '  unknown parameter) is a 400 that names the field and what is allowed, and changes nothing.',
    '- `lab fault set name key=value` reads values by the same rule: plain decimal digits only (`""`, `0x10`, `1e3`, `Infinity`,',
    '  `NaN` and `1.5` for an integer are refused with exit 2); above the maximum it sends the value and says it was clamped.',
    `- "Unbounded" queues are still hard-capped at ${HARD_QUEUE_CAP} entries, so no fault can kill the process. Past the cap,`,
    "  a report/offload task or a `child-process` burn is refused with 503 and `Retry-After`; a checkout's downstream call",
    '  fails at once and is retried like any failed call, and a checkout left with failed calls answers 504.',
    '- Pool work is not left to run out after a change: when a toggle that shapes a pool (`executor-saturation`,',
    '  `larger-pool`, `load-shedding`, `offload`) changes or goes off, the old pool is replaced and its queued and running tasks are',
    '  cancelled (503 `LAB_POOL_RETIRED`); `child-process` burns are cancelled when `blocking` leaves that mode',
    '  (503 `LAB_CHILD_WORK_CANCELLED`). Both come with `Retry-After` and a message that names the change.',
    '- Admin access: loopback clients only, unless `LAB_ADMIN_TOKEN` is set; then `Authorization: Bearer <token>` is required',
    '  (the control page also accepts `?token=` once and keeps it in the tab).',
    '- State is exported as `lab_fault_active{fault,kind}` and `lab_fault_parameter{fault,param}`; requests an input trigger',
    '  looked at as `lab_fault_trigger_requests_total{fault,source,outcome}` (see docs/metrics.md and [input triggers](#input-triggers)).',
    '- `UV_THREADPOOL_SIZE` (libuv, default 4, read once at start-up) sets how many async crypto/fs operations run at once:',
    '  `threadpool-saturation` fills exactly those threads.',
    '',
    '| name | kind | title | routes | answered by / answers |',
    '|---|---|---|---|---|',
    ...entries.map(
      ([name, spec]) =>
        `| [\`${name}\`](#${name}) | ${spec.kind} | ${cell(spec.title)} | ${spec.routes.map((r) => `\`${r}\``).join(', ')} | ${spec.related.map((r) => `\`${r}\``).join(', ')} |`,
    ),
    '',
    '## Faults',
    '',
    ...entries.filter(([, s]) => s.kind === 'fault').flatMap(([name, spec]) => [`<a id="${name}"></a>`, '', ...section(name, spec)]),
    '## Mitigations',
    '',
    ...entries.filter(([, s]) => s.kind === 'mitigation').flatMap(([name, spec]) => [`<a id="${name}"></a>`, '', ...section(name, spec)]),
    ...triggerSection(),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}
