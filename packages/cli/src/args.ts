// A small argv parser: `--name value`, `--name=value`, boolean `--flag`, positionals. Unknown
// options are errors that list what the command accepts.
import { CliError } from './errors.js';

export interface OptionSpec {
  /** true: takes a value; false: a boolean flag. */
  value: boolean;
}

export interface Parsed {
  positionals: string[];
  options: Record<string, string | boolean>;
}

export function parseArgs(argv: string[], spec: Record<string, OptionSpec>, command: string): Parsed {
  const parsed: Parsed = { positionals: [], options: {} };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--') {
      parsed.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      parsed.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const option = spec[name];
    if (!option) {
      const allowed = Object.keys(spec).map((k) => `--${k}`);
      throw new CliError('LAB_CLI_USAGE', `lab ${command}: unknown option --${name}; allowed: ${allowed.join(', ') || 'none'}`);
    }
    if (!option.value) {
      if (eq !== -1) throw new CliError('LAB_CLI_USAGE', `lab ${command}: --${name} takes no value`);
      parsed.options[name] = true;
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '') throw new CliError('LAB_CLI_USAGE', `lab ${command}: --${name} needs a value`);
    parsed.options[name] = value;
  }
  return parsed;
}

export function stringOption(parsed: Parsed, name: string): string | undefined {
  const value = parsed.options[name];
  return typeof value === 'string' ? value : undefined;
}

export function portOption(parsed: Parsed, name: string, fallback: number | null): number | null {
  const raw = stringOption(parsed, name);
  if (raw === undefined) return fallback;
  if (raw === 'off') return null;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError('LAB_CLI_USAGE', `--${name} ${raw} is not a port; allowed: 0-65535 (0 = any free port) or "off"`);
  }
  return port;
}
