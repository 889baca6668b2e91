// The package boundaries, checked from the source: every cross-package import is declared,
// nothing reaches into another package by relative path, shared code sits below its users, and
// docs/architecture.md draws the graph package.json files actually declare.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, readText, readYaml, repoPath } from '@runtime-lab/test-kit';

interface Manifest {
  name: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

interface WorkspacePackage {
  dir: string;
  manifest: Manifest;
}

/** The workspace packages, from pnpm-workspace.yaml's `packages:` list (entries `dir` or `group/*`). */
function workspacePackages(): WorkspacePackage[] {
  const entries = readYaml<{ packages?: unknown }>('pnpm-workspace.yaml').packages;
  assert.ok(Array.isArray(entries) && entries.length > 0, 'pnpm-workspace.yaml has a packages: list');
  const dirs = (entries as string[])
    .flatMap((entry) =>
      entry.endsWith('/*') ? readdirSync(repoPath(entry.slice(0, -2))).map((d) => `${entry.slice(0, -2)}/${d}`) : [entry],
    )
    .filter((dir) => existsSync(repoPath(dir, 'package.json')));
  return dirs.map((dir) => ({ dir, manifest: JSON.parse(readFileSync(repoPath(dir, 'package.json'), 'utf8')) as Manifest }));
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|cts|mts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2]) as string);
}

const packages = workspacePackages();
const byName = new Map(packages.map((p) => [p.manifest.name, p]));
const lab = (deps: Record<string, string> | undefined): string[] => Object.keys(deps ?? {}).filter((name) => byName.has(name));

test('every import of a workspace package is declared in the importing package.json, and no import reaches into another package by path', () => {
  const problems: string[] = [];
  for (const { dir, manifest } of packages) {
    const declared = new Set([...lab(manifest.dependencies), ...lab(manifest.devDependencies), ...lab(manifest.peerDependencies)]);
    const root = repoPath(dir);
    for (const file of sourceFiles(root)) {
      for (const specifier of importsOf(file)) {
        const where = relative(REPO_ROOT, file);
        if (specifier.startsWith('.')) {
          const target = resolve(join(file, '..'), specifier);
          if (!target.startsWith(`${root}/`)) problems.push(`${where} imports ${specifier}, outside ${dir}`);
          continue;
        }
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? specifier);
        if (byName.has(name) && name !== manifest.name && !declared.has(name))
          problems.push(`${where} imports ${name}, not declared in ${dir}/package.json`);
      }
    }
  }
  assert.ok(packages.length >= 12, `found ${packages.length} workspace packages`);
  assert.deepEqual(problems, []);
});

test('no service depends on another service, the test kit is never a production dependency, shared packages sit below their users', () => {
  const problems: string[] = [];
  for (const { dir, manifest } of packages) {
    for (const dep of lab(manifest.dependencies)) {
      const target = byName.get(dep);
      if (dir.startsWith('services/') && target?.dir.startsWith('services/'))
        problems.push(`${manifest.name} depends on the service ${dep}`);
      if (dep === '@runtime-lab/test-kit') problems.push(`${manifest.name} has the test kit as a production dependency`);
      if (dep === '@runtime-lab/system-tests') problems.push(`${manifest.name} depends on the system tests`);
    }
  }
  // The reusable plugin stays free of the lab: only the metric names (published with it) below it.
  const telemetry = byName.get('@runtime-lab/telemetry')?.manifest;
  assert.deepEqual(lab(telemetry?.dependencies), ['@runtime-lab/metric-names']);
  assert.deepEqual(problems, []);
});

test('the telemetry plugin reads no environment', () => {
  const offenders = sourceFiles(repoPath('packages/telemetry/src')).filter((file) => /process\.env\b/.test(readFileSync(file, 'utf8')));
  assert.deepEqual(
    offenders.map((file) => relative(REPO_ROOT, file)),
    [],
  );
});

test('no product package exports a file from test/, bench/ or measure/', () => {
  const problems: string[] = [];
  for (const { dir, manifest } of packages) {
    const exports = (manifest as { exports?: Record<string, unknown> }).exports ?? {};
    for (const [key, value] of Object.entries(exports)) {
      if (/\/(test|bench|measure)\//.test(JSON.stringify(value))) problems.push(`${dir} exports ${key}: ${JSON.stringify(value)}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('docs/architecture.md draws exactly the production dependencies the package.json files declare', () => {
  const doc = readText('docs/architecture.md');
  const mermaid = /```mermaid\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(mermaid, 'docs/architecture.md has a mermaid graph');
  const drawn = new Set([...mermaid.matchAll(/^\s*(\S+)\s+-->\s+(\S+)\s*$/gm)].map((m) => `${m[1]} --> ${m[2]}`));
  const short = (name: string): string => name.replace('@runtime-lab/', '');
  const declared = new Set(
    packages.flatMap(({ manifest }) => lab(manifest.dependencies).map((dep) => `${short(manifest.name)} --> ${short(dep)}`)),
  );
  assert.deepEqual([...declared].filter((edge) => !drawn.has(edge)).sort(), [], 'declared but not drawn');
  assert.deepEqual([...drawn].filter((edge) => !declared.has(edge)).sort(), [], 'drawn but not declared');
});
