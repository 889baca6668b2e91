#!/usr/bin/env node
// Runs every compiled test file with node's own test runner.
// Why a script: on Node 20, `node --test` expands no globs and `tsx --test` with no
// file list finds nothing and still exits 0, so we list the files ourselves and
// refuse to report success when there are none.
// Usage: node scripts/run-tests.mjs [substring ...]  (only files whose path contains one)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// The workspace packages, read from pnpm-workspace.yaml (entries `- dir` or `- group/*`), so a new
// package's tests are found without editing this list.
function workspacePackageDirs() {
  const text = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const block = /^packages:\n((?:[ \t]+-[^\n]*\n?)+)/m.exec(text);
  if (!block) throw new Error('run-tests: pnpm-workspace.yaml has no packages: list');
  return block[1]
    .split('\n')
    .map((line) =>
      line
        .replace(/^\s*-\s*/, '')
        .replace(/["']/g, '')
        .trim(),
    )
    .filter(Boolean)
    .flatMap((entry) => {
      if (!entry.endsWith('/*')) return [join(root, entry)];
      const group = join(root, entry.slice(0, -2));
      return existsSync(group) ? readdirSync(group).map((d) => join(group, d)) : [];
    });
}
const packageDirs = workspacePackageDirs();

function collect(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = packageDirs
  .flatMap((dir) => collect(join(dir, 'dist', 'test'), []))
  .filter((file) => filters.length === 0 || filters.some((f) => relative(root, file).includes(f)))
  .sort();

if (files.length === 0) {
  console.error(
    `run-tests: no compiled test files found${filters.length ? ` matching ${filters.join(', ')}` : ''}; run \`pnpm build\` first.`,
  );
  process.exit(1);
}
console.log(`run-tests: ${files.length} test files`);
// One file at a time: many files time real load against real processes and compare ratios
// measured in the same run; two such files sharing the CPU would measure each other.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(result.status ?? 1);
