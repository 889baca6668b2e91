import { catalogueNames, loadScenario } from '@runtime-lab/scenarios';
import { parseArgs } from '../args.js';

export async function list(argv: string[]): Promise<number> {
  parseArgs(argv, {});
  for (const name of catalogueNames()) {
    const { scenario } = await loadScenario(name);
    const seconds = scenario.phases.reduce((a, p) => a + p.durationSeconds, 0);
    console.log(`${name.padEnd(34)} ${String(seconds).padStart(4)} s  ${scenario.title}`);
  }
  return 0;
}
