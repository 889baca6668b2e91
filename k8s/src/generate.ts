// Writes k8s/manifests/ from the TypeScript, after validating every object against its schema;
// with --check only reports (exit 1) when the committed YAML differs from what the code generates.
// Usage: node k8s/dist/src/generate.js [--check]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findStaleManifests, MANIFESTS_DIR, manifestFiles, renderManifestFile, validateManifests } from './index.js';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--check');
if (unknown.length > 0) {
  console.error(`generate: unknown argument(s) ${unknown.join(' ')}; allowed: --check`);
  process.exit(2);
}

const files = manifestFiles();
try {
  validateManifests(files);
} catch (error) {
  console.error(`generate: ${(error as Error).message}`);
  process.exit(2);
}

if (args.includes('--check')) {
  const stale = findStaleManifests();
  if (stale.length > 0) {
    for (const s of stale) console.error(`k8s/manifests/${s.path}: ${s.reason}`);
    console.error('Manifests are stale: run `pnpm --filter @runtime-lab/k8s generate` and commit the result.');
    process.exit(1);
  }
  console.log('k8s/manifests is up to date.');
} else {
  for (const s of findStaleManifests()) {
    if (s.reason === 'not generated') rmSync(join(MANIFESTS_DIR, s.path));
  }
  for (const file of files) {
    const target = join(MANIFESTS_DIR, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, renderManifestFile(file));
    console.log(`wrote k8s/manifests/${file.path}`);
  }
}
