// Finds and loads a scenario: a catalogue name (`blocking`) or a file (`./incident.scenario.ts`).
// TypeScript files are loaded with tsx; whatever the file exports is validated before use.
import { existsSync, readdirSync } from 'node:fs';
import Module from 'node:module';
import { extname, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Scenario } from './define.js';
import { EngineError, ScenarioError, oneLine } from './errors.js';
import { validateScenario } from './validate.js';

const CATALOGUE_DIR = fileURLToPath(new URL('./catalogue/', import.meta.url));
const SCENARIO_SUFFIX = '.scenario.js';

export interface LoadedScenario {
  scenario: Scenario;
  /** Path shown in messages and reports. */
  source: string;
}

/** Names of the catalogue scenarios, sorted. */
export function catalogueNames(): string[] {
  if (!existsSync(CATALOGUE_DIR)) return [];
  return readdirSync(CATALOGUE_DIR)
    .filter((f) => f.endsWith(SCENARIO_SUFFIX))
    .map((f) => f.slice(0, -SCENARIO_SUFFIX.length))
    .sort();
}

let hookRegistered = false;
/**
 * Lets a scenario file anywhere on disk import '@runtime-lab/scenarios', whether it is loaded as
 * a module or (a .ts file outside any "type": "module" package) as CommonJS.
 *
 * Node 22.15+, 24 and 26 have `module.registerHooks()`: in-thread hooks that both `import` and
 * `require()` consult, so one resolve hook covers both. `module.register()` (off-thread hooks) is
 * deprecated on Node 26 (DEP0205) and would print a warning on every run; it is used only where
 * registerHooks does not exist (Node 20, unsupported), together with the CommonJS resolver that
 * off-thread hooks never see.
 */
function registerResolveHook(): void {
  if (hookRegistered) return;
  hookRegistered = true;
  const entryUrl = new URL('./index.js', import.meta.url).href;
  const shimUrl = new URL('./define-shim.cjs', import.meta.url).href;
  if (typeof Module.registerHooks === 'function') {
    Module.registerHooks({
      resolve(specifier, context, next) {
        if (specifier !== '@runtime-lab/scenarios') return next(specifier, context);
        // A require() gets the CommonJS shim, an import the ES module entry.
        const url = context.conditions.includes('require') ? shimUrl : entryUrl;
        return { url, shortCircuit: true };
      },
    });
    return;
  }
  registerOffThread(entryUrl, fileURLToPath(shimUrl));
}

/** The pre-registerHooks way (Node 20 only; see registerResolveHook). */
function registerOffThread(entryUrl: string, shim: string): void {
  Module.register(new URL('./resolve-hook.js', import.meta.url), { data: { entryUrl } });
  // _resolveFilename is not in the public typings; it is the documented-by-usage CJS hook point.
  const cjs = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = cjs._resolveFilename;
  cjs._resolveFilename = function (request: string, ...rest: unknown[]): string {
    if (request === '@runtime-lab/scenarios') return shim;
    return original.call(this, request, ...rest);
  };
}

async function importFile(path: string, shown: string): Promise<unknown> {
  registerResolveHook();
  try {
    const ext = extname(path);
    if (ext === '.ts' || ext === '.mts' || ext === '.cts') {
      const { tsImport } = await import('tsx/esm/api');
      return await tsImport(pathToFileURL(path).href, import.meta.url);
    }
    return await import(pathToFileURL(path).href);
  } catch (error) {
    throw new ScenarioError(shown, 'file', `cannot be loaded: ${oneLine(error)}`, 'a module whose default export is defineScenario({...})');
  }
}

export async function loadScenario(ref: string, cwd = process.cwd()): Promise<LoadedScenario> {
  const isName = /^[a-z0-9][a-z0-9-]*$/.test(ref);
  let path: string;
  let shown: string;
  if (isName && !existsSync(resolve(cwd, ref))) {
    path = resolve(CATALOGUE_DIR, `${ref}${SCENARIO_SUFFIX}`);
    shown = `scenarios/src/catalogue/${ref}.scenario.ts`;
    if (!existsSync(path)) {
      throw new EngineError(
        'LAB_SCENARIO_NOT_FOUND',
        `no scenario named "${ref}"; allowed: ${catalogueNames().join(', ')} or a path to a .scenario.ts file`,
      );
    }
  } else {
    path = resolve(cwd, ref);
    shown = relative(cwd, path) || path;
    if (!existsSync(path))
      throw new EngineError(
        'LAB_SCENARIO_NOT_FOUND',
        `${shown}: no such file; allowed: a catalogue name (${catalogueNames().join(', ')}) or an existing file`,
      );
    if (!['.ts', '.mts', '.cts', '.js', '.mjs'].includes(extname(path))) {
      throw new ScenarioError(shown, 'file', `extension "${extname(path)}" is not supported`, '.ts, .mts, .js, .mjs');
    }
  }
  const module = (await importFile(path, shown)) as { default?: unknown; scenario?: unknown };
  let value = module.default ?? module.scenario;
  // A file loaded as CommonJS arrives wrapped once more: { default: scenario }.
  if (typeof value === 'object' && value !== null && 'default' in value && !('phases' in value))
    value = (value as { default: unknown }).default;
  if (value === undefined) {
    throw new ScenarioError(shown, 'default export', 'is missing', 'export default defineScenario({...})');
  }
  return { scenario: validateScenario(value, shown), source: shown };
}
