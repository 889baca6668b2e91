// Writes docs/faults.md from the catalogue: pnpm --filter @runtime-lab/api faults-doc
import { writeFileSync } from 'node:fs';
import { FAULTS_DOC_PATH, renderFaultsDoc } from './faults-doc.js';

writeFileSync(FAULTS_DOC_PATH, renderFaultsDoc());
console.log(`wrote ${FAULTS_DOC_PATH}`);
