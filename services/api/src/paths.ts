// Files shipped next to the code (assets/): located from the package root, so the same code
// works from dist/src (how it runs) and from src (tsx), at any depth.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`services/api: no package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

export function assetPath(name: string): string {
  return join(PACKAGE_ROOT, 'assets', name);
}
