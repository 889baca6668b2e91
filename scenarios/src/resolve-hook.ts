// Off-thread resolve hook for module.register(), used only where module.registerHooks() does
// not exist (Node 20; see load.ts): lets a scenario file anywhere on disk
// `import { defineScenario } from '@runtime-lab/scenarios'` even when no node_modules above
// it has the package, by resolving that one specifier to this package's own entry point.
interface InitData {
  entryUrl: string;
}

let entryUrl = '';

export function initialize(data: InitData): void {
  entryUrl = data.entryUrl;
}

type NextResolve = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, next: NextResolve): Promise<{ url: string; shortCircuit?: boolean }> {
  if (specifier === '@runtime-lab/scenarios' && entryUrl) return { url: entryUrl, shortCircuit: true };
  return next(specifier, context);
}
