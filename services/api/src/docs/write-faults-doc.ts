// Writes docs/faults.md from the catalogue: pnpm --filter @runtime-lab/api faults-doc
// With --check it writes nothing and exits 1 when the committed file is stale (CI, reviews).
import { readFileSync, writeFileSync } from 'node:fs';
import { FAULTS_DOC_PATH, renderFaultsDoc } from './faults-doc.js';

const text = renderFaultsDoc();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(FAULTS_DOC_PATH, 'utf8');
  } catch {
    // A missing file is as stale as an old one.
  }
  if (current !== text) {
    console.error(`${FAULTS_DOC_PATH} is stale: regenerate it with pnpm --filter @runtime-lab/api faults-doc`);
    process.exit(1);
  }
  console.log(`${FAULTS_DOC_PATH} is up to date`);
} else {
  writeFileSync(FAULTS_DOC_PATH, text);
  console.log(`wrote ${FAULTS_DOC_PATH}`);
}
