// `lab fault`: list, set and clear faults and mitigations from the terminal.
import { AdminClient, type ServiceCatalogue } from '@runtime-lab/scenarios';
import { describeNumberRule, readDecimal, redactText } from '@runtime-lab/values';
import { decimal, parseArgs, stringOption } from '../args.js';
import { CliError } from '../errors.js';
import { DEFAULT_PORTS, urlsFor } from '../services.js';

function coerce(name: string, key: string, raw: string, catalogue: ServiceCatalogue, notes: string[]): string | number | string[] {
  const spec = catalogue.toggles[name]?.params[key];
  if (!spec) {
    const allowed = Object.keys(catalogue.toggles[name]?.params ?? {});
    throw new CliError('LAB_CLI_USAGE', `set ${name}: unknown parameter "${key}"; allowed: ${allowed.join(', ') || 'none'}`);
  }
  if (spec.type === 'integer' || spec.type === 'number') {
    // The api's rule, read from text: above max is clamped (by the api, which says so), the
    // rest ("", 0x10, 1e3, 1.5 for an integer, below min) is refused here.
    const rule = { integer: spec.type === 'integer', min: spec.min ?? 0, max: spec.max ?? Number.MAX_VALUE, clampAboveMax: true };
    const reading = readDecimal(raw, rule);
    if (!reading.ok) throw new CliError('LAB_CLI_USAGE', `set ${name}: ${key} must be ${describeNumberRule(rule)}; ${reading.problem}`);
    if (reading.clampedFrom !== undefined) notes.push(`${key} clamped from ${raw} to ${spec.max}`);
    return reading.value;
  }
  if (spec.type === 'set') return raw.split(',').filter(Boolean);
  return raw;
}

function apiUrlOf(parsed: { options: Record<string, string | boolean> }): string {
  const api = parsed.options.api;
  return typeof api === 'string' ? api : (process.env.LAB_API_URL ?? urlsFor(DEFAULT_PORTS).apiUrl);
}

/**
 * What `lab fault --help` adds to the general help: what `set` replaces, and the default TTL read
 * from the catalogue of the api it would talk to (GET /admin/catalogue; said so when it does not answer).
 */
export async function faultHelp(argv: string[]): Promise<string> {
  let apiUrl = urlsFor(DEFAULT_PORTS).apiUrl;
  try {
    apiUrl = apiUrlOf(
      parseArgs(
        argv.filter((a) => a !== '--help' && a !== '-h'),
        { api: { value: true }, ttl: { value: true } },
      ),
    );
  } catch {
    // A bad option is reported when the command runs; the help still prints.
  }
  let ttl: string;
  try {
    const { ttlSeconds } = await new AdminClient(apiUrl, undefined, 1000).catalogue();
    ttl = `default ${ttlSeconds.default} s; above ${ttlSeconds.max} s it is clamped to ${ttlSeconds.max} s (the catalogue of the api at ${apiUrl})`;
  } catch (error) {
    ttl = `default: the api's (GET /admin/catalogue), which did not answer at ${apiUrl} (${error instanceof Error ? error.message : String(error)}); start it with \`lab up\` or give --api`;
  }
  // A URL the user typed may carry a credential.
  ttl = redactText(ttl, [process.env.LAB_ADMIN_TOKEN]);
  return `lab fault set <name> [k=v ...] [--ttl S]
  Switches one fault or mitigation on with exactly these parameters and this TTL: parameters left
  out take their defaults, and a \`set\` of a toggle that is already on replaces all its parameters
  and its TTL (it does not merge with the earlier \`set\`). Parameters and their ranges: docs/faults.md.
  --ttl S   seconds until it switches itself off: ${ttl}
`;
}

export async function fault(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv, { api: { value: true }, ttl: { value: true } });
  const admin = new AdminClient(apiUrlOf(parsed));
  const [action = 'list', name, ...pairs] = parsed.positionals;
  if (action === 'list') {
    const faults = await admin.list();
    for (const f of faults) {
      const params = f.active
        ? ` ${JSON.stringify(f.params)}${f.remainingSeconds !== null ? `, ${Math.round(f.remainingSeconds)} s left` : ''}`
        : '';
      console.log(`${f.active ? 'ON ' : 'off'}  ${f.kind.padEnd(10)} ${f.name}${params}`);
    }
    return 0;
  }
  if (action === 'set') {
    if (!name) throw new CliError('LAB_CLI_USAGE', 'set: name a fault or mitigation, e.g. `lab fault set blocking durationMs=300`');
    const catalogue = await admin.catalogue();
    if (!catalogue.toggles[name])
      throw new CliError('LAB_CLI_USAGE', `set: no toggle named "${name}"; allowed: ${Object.keys(catalogue.toggles).join(', ')}`);
    const params: Record<string, string | number | string[]> = {};
    const notes: string[] = [];
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new CliError('LAB_CLI_USAGE', `set ${name}: "${pair}" is not key=value`);
      params[pair.slice(0, eq)] = coerce(name, pair.slice(0, eq), pair.slice(eq + 1), catalogue, notes);
    }
    const ttl = stringOption(parsed, 'ttl');
    await admin.set(
      name,
      params,
      ttl === undefined ? undefined : decimal('--ttl', ttl, { integer: true, ...catalogue.ttlSeconds, clampAboveMax: true }, `set ${name}`),
    );
    console.log(`${name} on${notes.length ? ` (${notes.join('; ')})` : ''}`);
    return 0;
  }
  if (action === 'clear') {
    if (name) await admin.clear(name);
    else await admin.clearAll();
    console.log(name ? `${name} off` : 'all faults and mitigations off');
    return 0;
  }
  throw new CliError('LAB_CLI_USAGE', `unknown action "${action}"; allowed: list, set <name> [key=value ...] [--ttl s], clear [name]`);
}
