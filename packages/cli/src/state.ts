// What `lab up` started, kept in .lab/state.json so `lab down` stops exactly those processes.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_DIR } from './paths.js';

export interface LabState {
  startedAt: string;
  processes: { name: string; pid: number; marker: string }[];
  urls: Record<string, string>;
}

const STATE_FILE = join(LAB_DIR, 'state.json');

export function readState(): LabState | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

export function writeState(state: LabState): void {
  mkdirSync(LAB_DIR, { recursive: true });
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
  for (const p of state.processes) writeFileSync(join(LAB_DIR, `${p.name}.pid`), `${p.pid}\n`);
}

export function clearState(state: LabState | undefined): void {
  rmSync(STATE_FILE, { force: true });
  for (const p of state?.processes ?? []) rmSync(join(LAB_DIR, `${p.name}.pid`), { force: true });
}

/** True when `pid` still runs the program we started (guards against a recycled pid). */
export function runsOurProcess(pid: number, marker: string): boolean {
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return false;
  try {
    return readFileSync(cmdline, 'utf8').includes(marker);
  } catch {
    return false;
  }
}
