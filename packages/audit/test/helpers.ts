// Shared test plumbing: repo paths, promtool/prometheus discovery, temp dirs.

import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repo root (this file is dist/test/helpers.js). */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

export function tempDir(t: { after(fn: () => void): void }, prefix = 'audit-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Collects what runAuditCli prints, for assertions. */
export function captureIo(): { io: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } }; out: () => string; err: () => string } {
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

/** A loopback port that was free a moment ago: bound on port 0, then released. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
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

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(killer);
}
