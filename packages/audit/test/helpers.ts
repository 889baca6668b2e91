// Shared test plumbing: repo paths, promtool/prometheus discovery, temp dirs.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary, freePort } from '@runtime-lab/test-kit';

export { REPO_ROOT as ROOT } from '@runtime-lab/test-kit';

export function hasBinary(name: string): boolean {
  return findBinary(name) !== undefined;
}

export function tempDir(t: { after(fn: () => void): void }, prefix = 'audit-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Collects what runAuditCli prints, for assertions. */
export function captureIo(): {
  io: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } };
  out: () => string;
  err: () => string;
} {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: {
        write: (s: string) => {
          out += s;
          return true;
        },
      },
      stderr: {
        write: (s: string) => {
          err += s;
          return true;
        },
      },
    },
    out: () => out,
    err: () => err,
  };
}

/** A port nothing listens on, so a connection is refused at once. */
export const closedPort = freePort;

/** The parts of `lab audit --format json` the tests read. */
export interface JsonCheck {
  rule: string;
  alert: string;
  status: string;
  target: string;
  value: number | null;
  labels: Record<string, string>;
  evidence: string;
  heldBy?: { frame: string; stalledSeconds: number; stalls: number } | null;
}

export interface JsonReport {
  status: string;
  exitCode: number;
  findings: JsonCheck[];
  checks: JsonCheck[];
  noData: string[];
}
