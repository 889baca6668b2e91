// Which inspector method names the code that holds the main thread, from a worker thread
// (inspector.Session#connectToMainThread: no port), and how fast. The main thread busy-spins
// in spinForTheBench() for 600 ms; 150 ms into the spin the worker tries one method and times
// it from the request to the answer that names the function:
//   evaluate         Runtime.evaluate of a stack capture (what stall-sampler.ts uses)
//   pause            Debugger.enable then Debugger.pause, both sent during the stall
//   pause-preenabled Debugger.pause, with Debugger.enable sent before the stall
//   profiler         Profiler.enable + start during the stall, stop 100 ms later: do the samples name it?
// A trial that gets no answer naming the function within the stall counts as a miss.
// Note the worker must keep its own event loop alive: an inspector session's pending reply
// does not, and a worker with nothing else to do exits before the answer arrives.
// Usage: node packages/telemetry/dist/bench/attribution-methods.js [trials=5]
import type { Session } from 'node:inspector';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { CAPTURE_SOURCE_URL, captureExpression, framesFromResult } from '../src/stall-capture.js';

const METHODS = ['evaluate', 'pause', 'pause-preenabled', 'profiler'] as const;
type Method = (typeof METHODS)[number];
const TARGET = 'spinForTheBench';

interface Trial {
  method: Method;
  /** ms from the request to an answer naming TARGET; null when none did. */
  ms: number | null;
}

function spinForTheBench(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // the stall the methods must name
  }
}

async function workerMain(): Promise<void> {
  const keepAlive = setInterval(() => {}, 1000);
  const { flag: flagBuffer, method } = workerData as { flag: SharedArrayBuffer; method: Method };
  const flag = new Int32Array(flagBuffer);
  const { Session: SessionClass } = await import('node:inspector');
  const session: Session = new SessionClass();
  session.connectToMainThread();
  const post = (name: string, params: object = {}): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) =>
      session.post(name, params, (error, result) => (error ? reject(error) : resolve(result as Record<string, unknown>))),
    );
  const paused = new Promise<string[]>((resolve) => {
    session.on('Debugger.paused', (event) => {
      resolve(event.params.callFrames.map((f) => f.functionName));
      // Rejected with ERR_INSPECTOR_CLOSED if the session is closed first: nothing to do then.
      post('Debugger.resume').catch(() => {});
    });
  });
  if (method === 'pause-preenabled') await post('Debugger.enable');
  parentPort?.postMessage('ready');
  while (Atomics.load(flag, 0) !== 1) Atomics.wait(flag, 0, 0, 5);
  await new Promise((resolve) => setTimeout(resolve, 150));
  const started = performance.now();
  let names: string[] = [];
  if (method === 'evaluate') {
    const result = await post('Runtime.evaluate', { expression: captureExpression(16), returnByValue: true, silent: true });
    const raw = framesFromResult((result.result as { value?: unknown } | undefined)?.value) ?? [];
    names = raw.filter((f) => f.file !== CAPTURE_SOURCE_URL).map((f) => f.fn);
  } else if (method === 'pause' || method === 'pause-preenabled') {
    if (method === 'pause') await post('Debugger.enable');
    post('Debugger.pause').catch(() => {});
    names = await paused;
  } else {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 1000 });
    await post('Profiler.start');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { profile } = (await post('Profiler.stop')) as {
      profile: { nodes: Array<{ id: number; callFrame: { functionName: string } }>; samples: number[] };
    };
    const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName]));
    // Leaf frames only say where samples landed; the whole tree is searched for TARGET.
    names = [...new Set(profile.samples.map((id) => byId.get(id) ?? ''))].concat(profile.nodes.map((n) => n.callFrame.functionName));
  }
  const ms = performance.now() - started;
  const stillStalled = Atomics.load(flag, 0) === 1;
  parentPort?.postMessage({ method, ms: names.includes(TARGET) && stillStalled ? ms : null } satisfies Trial);
  clearInterval(keepAlive);
  // A pause must be resumed before the session goes: disconnecting a main-thread session whose
  // thread is still paused aborted the process on Node 20 in this bench's first version.
  await new Promise((resolve) => setTimeout(resolve, 50));
  session.disconnect();
}

async function trial(method: Method): Promise<Trial> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL(import.meta.url), { workerData: { flag: flag.buffer, method } });
  const messages: unknown[] = [];
  const next = (): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (messages.length) return resolve(messages.shift());
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`${method}: the worker exited (${code}) without an answer`)));
    });
  await next(); // ready
  await new Promise((resolve) => setTimeout(resolve, 50));
  Atomics.store(flag, 0, 1);
  spinForTheBench(600);
  Atomics.store(flag, 0, 2);
  const result = (await next()) as Trial;
  await worker.terminate();
  return result;
}

if (isMainThread) {
  const trials = Number(process.argv[2] ?? 5);
  console.log(`Node ${process.version}: ${trials} trials per method, 600 ms stall, method tried 150 ms into it`);
  const only = process.argv[3] as Method | undefined;
  for (const method of only ? [only] : METHODS) {
    const results: Trial[] = [];
    for (let i = 0; i < trials; i++) results.push(await trial(method));
    const hits = results.flatMap((r) => (r.ms === null ? [] : [r.ms])).sort((a, b) => a - b);
    const median = hits[Math.floor((hits.length - 1) / 2)];
    console.log(
      `  ${method.padEnd(17)} named ${TARGET} during the stall in ${hits.length}/${trials}; ` +
        `request -> answer median ${median === undefined ? 'n/a' : median.toFixed(1)} ms, max ${hits.length ? (hits.at(-1) ?? 0).toFixed(1) : 'n/a'} ms`,
    );
  }
} else {
  await workerMain();
}
