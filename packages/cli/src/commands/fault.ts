// `lab fault`: list, set and clear faults and mitigations from the terminal.
import { AdminClient, type ServiceCatalogue } from '@runtime-lab/scenarios';
import { CliError } from '../errors.js';
import { parseArgs, stringOption } from '../args.js';
import { DEFAULT_PORTS, urlsFor } from '../services.js';

function coerce(name: string, key: string, raw: string, catalogue: ServiceCatalogue): string | number | string[] {
  const spec = catalogue.toggles[name]?.params[key];
  if (!spec) {
    const allowed = Object.keys(catalogue.toggles[name]?.params ?? {});
    throw new CliError('LAB_CLI_USAGE', `lab fault set ${name}: unknown parameter "${key}"; allowed: ${allowed.join(', ') || 'none'}`);
  }
  if (spec.type === 'integer' || spec.type === 'number') {
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new CliError('LAB_CLI_USAGE', `lab fault set ${name}: ${key}=${raw} is not a number; allowed: ${spec.min} to ${spec.max}`);
    return value;
  }
  if (spec.type === 'set') return raw.split(',').filter(Boolean);
  return raw;
}

export async function fault(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv, { api: { value: true }, ttl: { value: true } }, 'fault');
  const admin = new AdminClient(stringOption(parsed, 'api') ?? process.env.LAB_API_URL ?? urlsFor(DEFAULT_PORTS).apiUrl);
  const [action = 'list', name, ...pairs] = parsed.positionals;
  if (action === 'list') {
    const faults = await admin.list();
    for (const f of faults) {
      const params = f.active ? ` ${JSON.stringify(f.params)}${f.remainingSeconds !== null ? `, ${Math.round(f.remainingSeconds)} s left` : ''}` : '';
      console.log(`${f.active ? 'ON ' : 'off'}  ${f.kind.padEnd(10)} ${f.name}${params}`);
    }
    return 0;
  }
  if (action === 'set') {
    if (!name) throw new CliError('LAB_CLI_USAGE', 'lab fault set: name a fault or mitigation, e.g. `lab fault set blocking durationMs=300`');
    const catalogue = await admin.catalogue();
    if (!catalogue.toggles[name]) throw new CliError('LAB_CLI_USAGE', `lab fault set: no toggle named "${name}"; allowed: ${Object.keys(catalogue.toggles).join(', ')}`);
    const params: Record<string, string | number | string[]> = {};
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new CliError('LAB_CLI_USAGE', `lab fault set ${name}: "${pair}" is not key=value`);
      params[pair.slice(0, eq)] = coerce(name, pair.slice(0, eq), pair.slice(eq + 1), catalogue);
    }
    const ttl = stringOption(parsed, 'ttl');
    await admin.set(name, params, ttl === undefined ? undefined : Number(ttl));
    console.log(`${name} on`);
    return 0;
  }
  if (action === 'clear') {
    if (name) await admin.clear(name);
    else await admin.clearAll();
    console.log(name ? `${name} off` : 'all faults and mitigations off');
    return 0;
  }
  throw new CliError('LAB_CLI_USAGE', `lab fault: unknown action "${action}"; allowed: list, set <name> [key=value ...] [--ttl s], clear [name]`);
}
