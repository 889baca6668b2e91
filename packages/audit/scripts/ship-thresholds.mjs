#!/usr/bin/env node
// prepack: puts the lab's thresholds (prometheus/thresholds.yml, the one source) into dist/, so a
// tarball installed outside the repository has defaults for `lab audit` and `lab audit --init`.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../../../prometheus/thresholds.yml', import.meta.url));
const target = fileURLToPath(new URL('../dist/thresholds.yml', import.meta.url));
if (!existsSync(source)) {
  console.error(`ship-thresholds: ${source} is missing; pack from a runtime-lab checkout`);
  process.exit(1);
}
mkdirSync(fileURLToPath(new URL('../dist/', import.meta.url)), { recursive: true });
copyFileSync(source, target);
