// The synchronous work behind each blocking mode. Each runs for about `durationMs` of wall time
// on the thread that calls it (the main loop, or a pool worker under `offload`) and returns
// early when the stop flag is set, so a shutdown never waits out a 30 s block.
// chunked and child-process are not here: they exist to NOT block (see blocking.ts).
// Each mode has its own named function, so stall attribution (the watchdog's captured stack)
// names the work, e.g. testEvilRegex, not a shared wrapper.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Int32Array over a SharedArrayBuffer: index 0 becomes non-zero when work must stop. */
export type StopFlag = Int32Array;

export function newStopFlag(): StopFlag {
  return new Int32Array(new SharedArrayBuffer(4));
}

export function stopRequested(stop: StopFlag): boolean {
  return Atomics.load(stop, 0) !== 0;
}

export function requestStop(stop: StopFlag): void {
  Atomics.store(stop, 0, 1);
  // Wakes a `sleep`-mode block (Atomics.wait on this very flag) at once.
  Atomics.notify(stop, 0);
}

let sink = 0;

/** Busy spin: the purest form of "CPU work on the loop". */
export function spinCpu(durationMs: number, stop: StopFlag): void {
  const end = performance.now() + durationMs;
  let x = sink;
  while (performance.now() < end && !stopRequested(stop)) {
    for (let i = 0; i < 1000; i++) x = (x * 1103515245 + 12345) % 2147483648;
  }
  sink = x;
}

/** Node's `time.sleep`: the thread is parked, not busy, and still nothing else runs. */
function sleepOnAtomicsWait(durationMs: number, stop: StopFlag): void {
  Atomics.wait(stop, 0, 0, durationMs);
}

let ioFile: string | undefined;
function ioFilePath(): string {
  if (!ioFile) {
    // 256 KiB of semi-compressible text: one read+gzip is a few ms, so the deadline is kept closely.
    const lines: string[] = [];
    for (let i = 0, size = 0; size < 256 * 1024; i++) {
      const line = `order ${i} sku-${(i * 7919) % 1000} qty ${i % 13} ${Math.sin(i)}`;
      lines.push(line);
      size += line.length + 1;
    }
    // Same content for every process, so one shared file name is safe and leaves no litter.
    ioFile = join(tmpdir(), 'runtime-lab-sync-io.txt');
    writeFileSync(ioFile, lines.join('\n'));
  }
  return ioFile;
}

/** readFileSync + gzipSync: the "just a little sync I/O" incident. */
function readAndGzipSync(durationMs: number, stop: StopFlag): void {
  const path = ioFilePath();
  const end = performance.now() + durationMs;
  do {
    sink += gzipSync(readFileSync(path)).length;
  } while (performance.now() < end && !stopRequested(stop));
}

let bigDocument: unknown;
function jsonDocument(): unknown {
  bigDocument ??= {
    orders: Array.from({ length: 2000 }, (_, i) => ({
      id: `ord-${i}`,
      customer: { id: i % 97, name: `Customer ${i % 97}`, tags: ['vip', 'eu', `segment-${i % 5}`] },
      lines: Array.from({ length: 5 }, (_, j) => ({ sku: `sku-${(i + j) % 500}`, qty: j + 1, price: (i * j) % 100 })),
    })),
  };
  return bigDocument;
}

/** Huge JSON.stringify/parse: "we just serialise the response". */
function jsonRoundTrip(durationMs: number, stop: StopFlag): void {
  const document = jsonDocument();
  const end = performance.now() + durationMs;
  do {
    sink += (JSON.parse(JSON.stringify(document)) as { orders: unknown[] }).orders.length;
  } while (performance.now() < end && !stopRequested(stop));
}

// Nested quantifier over an input that almost matches: the engine tries every way to split
// the run of 'a's before failing (ReDoS). Each extra character doubles the time.
const EVIL_REGEX = /^(a+)+$/;
let evilInput: string | undefined;
function calibratedEvilInput(): string {
  if (evilInput) return evilInput;
  // Find a length where one test takes ~2-8 ms, so the deadline is kept closely.
  let n = 12;
  for (; n < 32; n++) {
    const input = `${'a'.repeat(n)}!`;
    const start = performance.now();
    EVIL_REGEX.test(input);
    if (performance.now() - start >= 2) break;
  }
  evilInput = `${'a'.repeat(n)}!`;
  return evilInput;
}

/** Catastrophic backtracking: the validation regex that met a hostile input. */
function testEvilRegex(durationMs: number, stop: StopFlag): void {
  const input = calibratedEvilInput();
  const end = performance.now() + durationMs;
  do {
    sink += EVIL_REGEX.test(input) ? 1 : 0;
  } while (performance.now() < end && !stopRequested(stop));
}

/**
 * "Async on the surface": every step awaits, but a resolved promise continues in the microtask
 * queue, which drains completely before the loop gets back to I/O or timers.
 */
async function microtaskChain(durationMs: number, stop: StopFlag): Promise<void> {
  const end = performance.now() + durationMs;
  while (performance.now() < end && !stopRequested(stop)) {
    await Promise.resolve();
    for (let i = 0; i < 200; i++) sink = (sink * 31 + i) % 65521;
  }
}

export type SyncBlockingMode = 'cpu' | 'sleep' | 'sync-io' | 'json' | 'regex' | 'microtask';

/** Runs one mode's work on the calling thread. */
export async function runBlockingWork(mode: SyncBlockingMode, durationMs: number, stop: StopFlag): Promise<void> {
  switch (mode) {
    case 'cpu':
      return spinCpu(durationMs, stop);
    case 'sleep':
      return sleepOnAtomicsWait(durationMs, stop);
    case 'sync-io':
      return readAndGzipSync(durationMs, stop);
    case 'json':
      return jsonRoundTrip(durationMs, stop);
    case 'regex':
      return testEvilRegex(durationMs, stop);
    case 'microtask':
      return microtaskChain(durationMs, stop);
  }
}
