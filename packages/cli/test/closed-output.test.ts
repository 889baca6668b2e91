// `lab … | head`: the reader closes the pipe before the CLI has printed everything. The CLI must
// drop the rest of its output and finish with its own exit code, not die of EPIPE with a stack trace.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { repoPath } from '@runtime-lab/test-kit';

const BIN = repoPath('packages/cli/dist/src/bin.js');

/** Runs the CLI with a stdout whose reader is gone before the first byte: every write fails with EPIPE. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr })));
}

// (A single write, like `lab --help`, usually ends before the error arrives: these print many lines.)
for (const args of [
  ['workshop', 'show', 'blocking', '--answers'],
  ['workshop', 'list'],
]) {
  test(`lab ${args.join(' ')} with its reader gone: no EPIPE crash, its own exit code`, async () => {
    const { code, stderr } = await withClosedStdout(args);
    assert.doesNotMatch(stderr, /EPIPE|Error/, stderr);
    assert.equal(code, 0, stderr);
  });
}
