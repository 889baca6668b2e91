// A small argv parser: `--name value`, `--name=value`, boolean `--flag`, positionals. Unknown
// options are errors that list what the command accepts.
import { describeNumberRule, type NumberRule, readDecimal } from '@runtime-lab/values';
import { CliError } from './errors.js';

export interface OptionSpec {
  /** true: takes a value; false: a boolean flag. */
  value: boolean;
}

export interface Parsed {
  positionals: string[];
  options: Record<string, string | boolean>;
}

/**
 * `subcommand` (e.g. "show" for `lab workshop show`) leads the error text; the `lab <command>:`
 * prefix is added once, by main.ts, so errors raised here never carry it.
 */
export function parseArgs(argv: string[], spec: Record<string, OptionSpec>, subcommand?: string): Parsed {
  const where = subcommand ? `${subcommand}: ` : '';
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
      throw new CliError('LAB_CLI_USAGE', `${where}unknown option --${name}; allowed: ${allowed.join(', ') || 'none'}`);
    }
    if (!option.value) {
      if (eq !== -1) throw new CliError('LAB_CLI_USAGE', `${where}--${name} takes no value`);
      parsed.options[name] = true;
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '') throw new CliError('LAB_CLI_USAGE', `${where}--${name} needs a value`);
    parsed.options[name] = value;
  }
  return parsed;
}

export function stringOption(parsed: Parsed, name: string): string | undefined {
  const value = parsed.options[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * A number typed on the command line or in the environment, read by the lab's one rule
 * (@runtime-lab/values readDecimal: plain decimal digits; "", hex, exponents, Infinity, NaN and
 * fractions-for-integers refused). `what` names it in the error, e.g. "--ttl" or "env LAB_X".
 */
export function decimal(what: string, raw: string, rule: NumberRule, context?: string): number {
  const reading = readDecimal(raw, rule);
  if (!reading.ok)
    throw new CliError('LAB_CLI_USAGE', `${context ? `${context}: ` : ''}${what} must be ${describeNumberRule(rule)}; ${reading.problem}`);
  return reading.value;
}

const PORT = { integer: true, min: 0, max: 65_535 };

export function portOption(parsed: Parsed, name: string, fallback: number | null, envName?: string): number | null {
  const raw = stringOption(parsed, name);
  if (raw === undefined) {
    const fromEnv = envName ? process.env[envName] : undefined;
    return fromEnv === undefined || fromEnv === '' ? fallback : decimal(`env ${envName}`, fromEnv, PORT);
  }
  if (raw === 'off') return null;
  const reading = readDecimal(raw, PORT);
  if (!reading.ok)
    throw new CliError('LAB_CLI_USAGE', `--${name} is not a port; allowed: 0-65535 (0 = any free port) or "off"; ${reading.problem}`);
  return reading.value;
}
