// `lab audit --init`: a copy of the lab's own thresholds file, which is commented throughout, so
// a team starts from the defaults the alerts use and tunes from there.

import { readFileSync, writeFileSync } from 'node:fs';
import { AuditError } from './errors.js';
import { defaultThresholdsPath } from './thresholds.js';

export function writeDefaultConfig(path: string, force: boolean): void {
  const template = readFileSync(defaultThresholdsPath(), 'utf8');
  try {
    writeFileSync(path, template, { flag: force ? 'w' : 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new AuditError('LAB_AUDIT_USAGE', `${path} already exists; pass --force to overwrite it`);
    throw new AuditError('LAB_AUDIT_CONFIG', `cannot write ${path}: ${code ?? (error as Error).message}`);
  }
}
