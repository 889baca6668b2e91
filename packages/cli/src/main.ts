// Dispatches `lab <command>`. Every failure the user can cause is printed as one line with
// exit code 2; a stack trace only with LAB_DEBUG=1.
import { oneLine } from '@runtime-lab/scenarios';
import { LabError, redactText } from '@runtime-lab/values';
import { CliError } from './errors.js';
import { loadAudit } from './audit-loader.js';
import { down } from './commands/down.js';
import { fault, faultHelp } from './commands/fault.js';
import { list } from './commands/list.js';
import { report } from './commands/report.js';
import { run } from './commands/run.js';
import { up } from './commands/up.js';
import { workshop } from './commands/workshop.js';
import { helpText } from './help.js';
import { checkPortEnv } from './services.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = { up, down, run, fault, report, list, workshop };

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === 'help' || command === '--help' || command === '-h') {
      console.log(helpText(await loadAudit()));
      return command ? 0 : 2;
    }
    if (command === 'audit') {
      const audit = await loadAudit();
      if (audit.kind === 'ready') return await audit.cli(rest);
      throw new CliError(
        'LAB_CLI_USAGE',
        audit.kind === 'broken'
          ? `lab audit is unavailable: ${audit.reason}`
          : 'lab audit is not installed (@runtime-lab/audit is missing)',
      );
    }
    checkPortEnv();
    const handler = COMMANDS[command];
    if (!handler) {
      const audit = (await loadAudit()).kind === 'ready' ? ', audit' : '';
      throw new CliError('LAB_CLI_USAGE', `unknown command "${command}"; allowed: ${Object.keys(COMMANDS).join(', ')}${audit}, help`);
    }
    // `lab workshop` has a help of its own per subcommand.
    if (command !== 'workshop' && (rest.includes('--help') || rest.includes('-h'))) {
      console.log(helpText(await loadAudit()));
      if (command === 'fault') console.log(await faultHelp(rest));
      return 0;
    }
    return await handler(rest);
  } catch (error) {
    // A URL the user typed (or an error quoting one) may carry a credential.
    const secrets = [process.env.LAB_ADMIN_TOKEN];
    if (process.env.LAB_DEBUG) console.error(redactText(error instanceof Error ? (error.stack ?? error.message) : String(error), secrets));
    // Every package's coded errors (the CLI's, the engine's, the workshop's, the auditor's).
    const known = error instanceof LabError ? error : undefined;
    const prefix = known ? '' : 'unexpected error: ';
    console.error(redactText(`lab ${command}: ${prefix}${oneLine(error)}`, secrets));
    return known ? known.exitCode : 2;
  }
}
