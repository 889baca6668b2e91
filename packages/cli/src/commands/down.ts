import { parseArgs } from '../args.js';
import { stopPid } from '../services.js';
import { clearState, readState, runsOurProcess } from '../state.js';

export async function down(argv: string[]): Promise<number> {
  parseArgs(argv, {});
  const state = readState();
  if (!state) {
    console.log('nothing to stop: `lab up` has not started anything (no .lab/state.json)');
    return 0;
  }
  for (const p of [...state.processes].reverse()) {
    if (!runsOurProcess(p.pid, p.marker)) {
      console.log(`${p.name} (pid ${p.pid}) already stopped`);
      continue;
    }
    await stopPid(p.pid);
    console.log(`${p.name} (pid ${p.pid}) stopped`);
  }
  clearState(state);
  return 0;
}
