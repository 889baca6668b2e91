// `lab report report.json`: re-renders report.md and report.html from a (validated) report.json.
import { dirname, relative } from 'node:path';
import { readReport, writeReport } from '@runtime-lab/scenarios';
import { CliError } from '../errors.js';
import { parseArgs, stringOption } from '../args.js';

export async function report(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv, { out: { value: true } });
  const [file, ...extra] = parsed.positionals;
  if (!file || extra.length) throw new CliError('LAB_CLI_USAGE', 'give one report.json, e.g. `lab report reports/…/report.json`');
  const data = readReport(file);
  const outDir = stringOption(parsed, 'out') ?? dirname(file);
  const files = writeReport(data, outDir, { json: outDir !== dirname(file) });
  console.log(
    `${relative(process.cwd(), files.html) || files.html} and ${relative(process.cwd(), files.markdown) || files.markdown} written (${data.verdict})`,
  );
  return 0;
}
