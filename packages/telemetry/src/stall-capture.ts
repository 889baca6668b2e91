// What one capture of the main thread's stack is, and how it is taken. Dependency-free (node:
// builtins only): the watchdog worker imports it.
//
// Why Runtime.evaluate: the watchdog worker opens an inspector session on the main thread
// (connectToMainThread: no port). Messages on that session reach a busy main thread as a V8
// interrupt, which runs at the next interrupt check of the JavaScript that holds the loop
// (loop back-edges, function entries, Atomics.wait's wake-up loop). Evaluating one small
// expression there returns the stack of the code that is running, with no domain enabled in
// advance, so nothing is paid while no stall happens. Measured alternatives (docs/measurement.md):
// Debugger.pause works too but Debugger.enable, sent at stall time, costs tens of ms of the
// stall (one scriptParsed event per loaded script), and kept enabled it instruments every
// script compiled; Profiler.start at stall time also costs ~20 ms and its samples begin only
// after it starts, so they cover the rest of the stall, not its onset.

/** One stack frame as V8's CallSite reports it (positions 1-based, JavaScript as loaded). */
export interface RawFrame {
  /** Function name as V8 names it ('' for an anonymous function). */
  fn: string;
  /** Receiver type for method calls ('Atomics', 'JSON', 'Blocker'), '' for top-level calls. */
  type: string;
  /** Script URL or path; '' for V8 builtins such as JSON.parse or Atomics.wait. */
  file: string;
  line: number;
  column: number;
}

/** A frame as reported: the JavaScript position, plus the TypeScript one where a source map has it. */
export interface StallFrame {
  /** e.g. 'spinCpu', 'Blocker.maybeBlock', 'JSON.parse', '<anonymous>'. */
  function: string;
  /** Script path (file:// URLs are turned into paths); null for a builtin. */
  file: string | null;
  line: number | null;
  column: number | null;
  /** Position in the original source when the script has a source map (1-based). */
  source?: { file: string; line: number; column: number };
}

/** Names the capture's own script, so its frame is recognised and dropped. */
export const CAPTURE_SOURCE_URL = 'runtime-lab-stall-capture';

/**
 * The expression evaluated on the main thread. It swaps Error.prepareStackTrace for the length
 * of one captureStackTrace call (structured CallSites instead of text, and unaffected by a
 * source-map hook the app installed) and restores both globals before returning.
 */
export function captureExpression(maxFrames: number): string {
  return `(function runtimeLabCaptureStack() {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = ${maxFrames + 1};
    Error.prepareStackTrace = (_error, sites) => sites.map((site) => {
      try {
        return {
          fn: site.getFunctionName() || '',
          type: site.isToplevel() ? '' : site.getTypeName() || '',
          file: site.getScriptNameOrSourceURL() || site.getFileName() || '',
          line: site.getLineNumber() || 0,
          column: site.getColumnNumber() || 0,
        };
      } catch {
        return { fn: '', type: '', file: '', line: 0, column: 0 };
      }
    });
    const holder = {};
    Error.captureStackTrace(holder, runtimeLabCaptureStack);
    return holder.stack;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
})()
//# sourceURL=${CAPTURE_SOURCE_URL}`;
}

function isRawFrame(value: unknown): value is RawFrame {
  if (typeof value !== 'object' || value === null) return false;
  const f = value as Record<string, unknown>;
  return (
    typeof f.fn === 'string' &&
    typeof f.type === 'string' &&
    typeof f.file === 'string' &&
    typeof f.line === 'number' &&
    typeof f.column === 'number'
  );
}

/** The frames of a capture result, without the capture's own; undefined when the result is not a stack. */
export function framesFromResult(value: unknown): RawFrame[] | undefined {
  if (!Array.isArray(value) || !value.every(isRawFrame)) return undefined;
  return value.filter((frame) => frame.file !== CAPTURE_SOURCE_URL);
}

function pathOf(file: string): string {
  if (!file.startsWith('file://')) return file;
  try {
    return decodeURIComponent(new URL(file).pathname);
  } catch {
    return file;
  }
}

export function toStallFrame(raw: RawFrame): StallFrame {
  const name = raw.fn || '<anonymous>';
  const builtin = raw.file === '';
  return {
    function: raw.type && raw.fn ? `${raw.type}.${name}` : name,
    file: builtin ? null : pathOf(raw.file),
    line: builtin ? null : raw.line,
    column: builtin ? null : raw.column,
  };
}

/** Node's own JavaScript (node:zlib, node:internal/…): real, but never the code to fix. */
export function isNodeInternal(frame: StallFrame): boolean {
  return frame.file !== null && (frame.file.startsWith('node:') || !frame.file.includes('/'));
}

/**
 * A short, stable name for a frame: 'spinCpu (services/api/src/faults/blocking-work.ts:31)',
 * TypeScript position when mapped, paths relative to `cwd`. Used as the metric label value.
 */
export function frameLabel(frame: StallFrame, cwd: string): string {
  const where = frame.source ?? (frame.file === null ? undefined : { file: frame.file, line: frame.line });
  if (!where) return frame.function;
  const file = where.file.startsWith(`${cwd}/`) ? where.file.slice(cwd.length + 1) : where.file;
  return `${frame.function} (${file}:${where.line})`;
}

/**
 * The frame a stall is attributed to: the innermost frame of JavaScript that is neither a V8
 * builtin (JSON.parse, RegExp.test, Atomics.wait) nor Node's own code: the caller of the
 * builtin is the code that chose to block. A third-party library's frame counts (it is where
 * the time went); falls back to the innermost frame when nothing else is on the stack.
 */
export function attributedFrame(frames: StallFrame[]): StallFrame | undefined {
  return frames.find((frame) => frame.file !== null && !isNodeInternal(frame)) ?? frames[0];
}
