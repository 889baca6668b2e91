// startService must never leave a process behind when it fails: the caller gets no handle to it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isAlive, startService } from '../src/services.js';

const dir = mkdtempSync(join(tmpdir(), 'lab-start-service-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A script that prints its pid, then `stdoutLine` (if any), on stdout (one stream: in order), then stays alive. */
function script(name: string, stdoutLine?: string): string {
  const path = join(dir, name);
  const print = stdoutLine === undefined ? '' : `console.log(${JSON.stringify(stdoutLine)});`;
  writeFileSync(path, `console.log('pid=' + process.pid);${print}setInterval(() => {}, 1000);\n`);
  return path;
}

async function failedStart(path: string, timeoutMs: number): Promise<{ message: string; pid: number }> {
  const error = await startService(path, {}, timeoutMs).then(
    () => assert.fail('startService should have failed'),
    (e: Error) => e,
  );
  const pid = Number(/pid=(\d+)/.exec(error.message)?.[1]);
  assert.ok(pid > 0, `the error carries the process output: ${error.message}`);
  return { message: error.message, pid };
}

test('startService: a process that never reports listening is killed when the start times out', async () => {
  const { message, pid } = await failedStart(script('silent.mjs'), 3000);
  assert.match(message, /did not report listening within 3000 ms/);
  assert.equal(isAlive(pid), false, `process ${pid} was left running`);
});

test('startService: an unreadable readiness line is an error naming the line, and the process is killed', async () => {
  const { message, pid } = await failedStart(script('garbled.mjs', '{"event":"listening", url'), 10_000);
  assert.match(message, /unreadable readiness line "\{\\"event\\":\\"listening\\", url"/);
  assert.equal(isAlive(pid), false, `process ${pid} was left running`);
});
