// Maps captured JavaScript positions back to the TypeScript the app was written in, using the
// `.js.map` files tsc emits (sourceMap: true) and node:module's public SourceMap class. Runs in
// the watchdog worker, so reading map files never touches the main thread; findSourceMap() is
// not used because it only knows the maps of modules loaded by its own thread, and only under
// --enable-source-maps. Dependency-free (node: builtins only).
import { readFile } from 'node:fs/promises';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { StallFrame } from './stall-capture.js';

// A map file is read once per script; a script without one is remembered as such.
const MAX_CACHED = 256;
const cache = new Map<string, Promise<SourceMap | undefined>>();

const MAPPING_URL = /\/\/[#@] sourceMappingURL=(\S+)\s*$/;

async function loadMap(file: string): Promise<SourceMap | undefined> {
  try {
    const code = await readFile(file, 'utf8');
    const url = MAPPING_URL.exec(code.slice(-4096))?.[1];
    if (!url) return undefined;
    let payload: SourceMapPayload;
    if (url.startsWith('data:')) {
      const comma = url.indexOf(',');
      const body = url.slice(comma + 1);
      const text = url.slice(0, comma).endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
      payload = JSON.parse(text) as SourceMapPayload;
    } else {
      const mapPath = resolve(dirname(file), decodeURIComponent(url));
      payload = JSON.parse(await readFile(mapPath, 'utf8')) as SourceMapPayload;
      // `sources` are relative to the map's own folder (plus sourceRoot): make them absolute.
      const root = resolve(dirname(mapPath), payload.sourceRoot ?? '');
      payload = { ...payload, sourceRoot: '', sources: payload.sources.map((s) => (isAbsolute(s) ? s : resolve(root, s))) };
    }
    return new SourceMap(payload);
  } catch {
    // No readable map (deleted, unreadable, not JSON): report the JavaScript position.
    return undefined;
  }
}

function mapFor(file: string): Promise<SourceMap | undefined> {
  let entry = cache.get(file);
  if (!entry) {
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
    entry = loadMap(file);
    cache.set(file, entry);
  }
  return entry;
}

/** The frame with `source` filled in when its script has a source map with an entry there. */
export async function mapFrame(frame: StallFrame): Promise<StallFrame> {
  if (frame.file === null || frame.line === null || frame.column === null || !isAbsolute(frame.file)) return frame;
  const map = await mapFor(frame.file);
  if (!map) return frame;
  // findEntry takes and returns 0-based positions; an empty object means no mapping.
  const entry = map.findEntry(frame.line - 1, frame.column - 1) as Partial<{
    originalSource: string;
    originalLine: number;
    originalColumn: number;
  }>;
  if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return frame;
  const file = entry.originalSource.startsWith('file://') ? new URL(entry.originalSource).pathname : entry.originalSource;
  return { ...frame, source: { file, line: entry.originalLine + 1, column: entry.originalColumn + 1 } };
}
