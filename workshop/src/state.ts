// The workshop's local state: progress (answers, verified exercises, solved incidents) and the
// current mystery incident, as JSON files in the lab's state folder (LAB_STATE_DIR, default .lab/).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Progress {
  /** "<module>/<question>" → answered right, and after how many tries. */
  answers: Record<string, { correct: boolean; attempts: number }>;
  /** Exercise id → last verify result. */
  exercises: Record<string, { passed: boolean; at: string }>;
  /** Incidents in order: what was diagnosed and mitigated (filled in as the attendee goes). */
  incidents: { startedAt: string; diagnosed: boolean; mitigated: boolean; revealed: boolean }[];
}

const PROGRESS_FILE = 'workshop-progress.json';
const MYSTERY_FILE = 'workshop-mystery.json';

export function emptyProgress(): Progress {
  return { answers: {}, exercises: {}, incidents: [] };
}

function readJson<T>(stateDir: string, file: string): T | undefined {
  const path = join(stateDir, file);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined; // a corrupt file starts afresh rather than blocking the workshop
  }
}

function writeJson(stateDir: string, file: string, value: unknown): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, file), `${JSON.stringify(value, null, 2)}\n`);
}

export function readProgress(stateDir: string): Progress {
  return { ...emptyProgress(), ...readJson<Partial<Progress>>(stateDir, PROGRESS_FILE) };
}

export function updateProgress(stateDir: string, change: (p: Progress) => void): Progress {
  const progress = readProgress(stateDir);
  change(progress);
  writeJson(stateDir, PROGRESS_FILE, progress);
  return progress;
}

/**
 * The running incident. The draw is stored base64-encoded: out of plain sight for someone
 * listing the folder, not a secret (workshop/README.md says what an attendee could still read).
 */
export interface MysteryState {
  sealed: string;
  apiUrl: string;
  startedAt: string;
  ttlSeconds: number;
  trafficPid: number | null;
  /** Mitigations switched on during this incident, switched off again when it ends. */
  mitigations: string[];
}

export function readMystery(stateDir: string): MysteryState | undefined {
  return readJson<MysteryState>(stateDir, MYSTERY_FILE);
}

export function writeMystery(stateDir: string, state: MysteryState): void {
  writeJson(stateDir, MYSTERY_FILE, state);
}

export function clearMysteryFile(stateDir: string): void {
  rmSync(join(stateDir, MYSTERY_FILE), { force: true });
}

export function clearProgress(stateDir: string): void {
  rmSync(join(stateDir, PROGRESS_FILE), { force: true });
  clearMysteryFile(stateDir);
}

export function seal(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64');
}

export function unseal<T>(sealed: string): T {
  return JSON.parse(Buffer.from(sealed, 'base64').toString('utf8')) as T;
}
