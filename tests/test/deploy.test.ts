// The Dockerfile's packaging step, run for real without Docker: each `pnpm deploy` line of the
// Dockerfile is run into a temporary /app laid out as the image's COPY lines lay it out, and
// the result is started as the image would start it (its CMD/ENTRYPOINT, from /app, with
// NODE_ENV=production). This catches a package whose production dependencies, build output or
// shipped files are incomplete, which only a container start would otherwise reveal. Repo files a
// stage copies from the build stage (COPY --from=build /repo/...) are laid out too, provided
// .dockerignore lets them into the build context (otherwise the real build would fail there).
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deploySteps, dockerfileStages, effective } from '../src/compose.js';
import { readText, repoPath, run, type RunningService, startService } from '@runtime-lab/test-kit';

interface ImageLayout {
  target: string;
  /** pnpm --filter argument. */
  filter: string;
  /** Where the stage copies the deploy output, relative to /app. */
  appPath: string;
  /** CMD or ENTRYPOINT (+ CMD), as argv. */
  command: string[];
  /** Files the stage copies from the build stage's checkout (/repo), both paths repo-relative. */
  repoFiles: Array<{ from: string; to: string }>;
}

function imageLayouts(): ImageLayout[] {
  const stages = dockerfileStages();
  const filters = new Map(deploySteps(stages).map((step) => [step.out, step.filter])); // /deploy/x -> --filter
  return ['api', 'downstream', 'lab'].map((target) => {
    const copy = stages.find((s) => s.name === target)?.instructions.find((i) => i.startsWith('COPY --from=build /deploy/')) ?? '';
    const [, from = '', to = ''] = /^COPY --from=build (\S+) (\S+)$/.exec(copy) ?? [];
    const entrypoint = effective(stages, target, 'ENTRYPOINT');
    const command = JSON.parse(entrypoint ?? effective(stages, target, 'CMD') ?? '[]') as string[];
    const filter = filters.get(from);
    assert.ok(
      filter && to.startsWith('/app/'),
      `Dockerfile stage ${target}: expected COPY --from=build /deploy/<name> /app/<path> of a pnpm deploy output, got "${copy}"`,
    );
    const repoFiles: ImageLayout['repoFiles'] = [];
    for (const instruction of stages.find((s) => s.name === target)?.instructions ?? []) {
      if (!instruction.startsWith('COPY --from=build ') || instruction === copy) continue;
      // Anything else copied from the build stage would go unmirrored here, and untested.
      const [, source = '', destination = ''] = /^COPY --from=build \/repo\/(\S+) \/app\/(\S+)$/.exec(instruction) ?? [];
      assert.ok(
        source && destination,
        `Dockerfile stage ${target}: this test mirrors COPY --from=build /repo/<file> /app/<path> only, got "${instruction}"`,
      );
      repoFiles.push({ from: source, to: destination });
    }
    return { target, filter, appPath: to.slice('/app/'.length), command, repoFiles };
  });
}

/**
 * Whether .dockerignore keeps a path out of the build context, as Docker decides it: patterns are
 * Go filepath.Match globs plus `**`, a pattern matching a parent directory matches the path, and
 * the last matching line wins (`!` lines let a path back in).
 */
function dockerignoreExcludes(path: string, text: string): boolean {
  const parts = path.split('/');
  const selfAndParents = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const include = line.startsWith('!');
    const pattern = (include ? line.slice(1) : line).trim().replace(/^\/+|\/+$/g, '');
    const regex = globToRegExp(pattern);
    if (selfAndParents.some((p) => regex.test(p))) excluded = !include;
  }
  return excluded;
}

function globToRegExp(pattern: string): RegExp {
  assert.ok(!/[[\\]/.test(pattern), `.dockerignore pattern "${pattern}": character classes and escapes are beyond this check's matcher`);
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (pattern.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (pattern.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** The deployed `lab` command, run as the image runs it: from /app, NODE_ENV=production. */
function runLab(args: string[], timeoutMs = 30_000): SpawnSyncReturns<string> {
  const lab = layouts.get('lab');
  assert.ok(lab);
  return spawnSync(process.execPath, [...lab.command.slice(1), ...args], {
    cwd: app,
    env: { ...process.env, NODE_ENV: 'production', LAB_AUDIT_CONFIG: '' },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}

let app: string;
const layouts = new Map<string, ImageLayout>();

before(() => {
  app = join(mkdtempSync(join(tmpdir(), 'lab-image-')), 'app');
  for (const layout of imageLayouts()) {
    const out = join(app, layout.appPath);
    mkdirSync(dirname(out), { recursive: true });
    const result = run('pnpm', ['deploy', '--filter', layout.filter, '--prod', out], { timeoutMs: 180_000 });
    assert.equal(result.status, 0, `pnpm deploy --filter ${layout.filter}: ${result.stderr}${result.stdout}`);
    for (const file of layout.repoFiles) {
      assert.ok(
        !dockerignoreExcludes(file.from, readText('.dockerignore')),
        `.dockerignore keeps ${file.from} out of the build context, yet stage ${layout.target} copies it`,
      );
      mkdirSync(dirname(join(app, file.to)), { recursive: true });
      copyFileSync(repoPath(file.from), join(app, file.to));
    }
    layouts.set(layout.target, layout);
  }
});

after(() => {
  rmSync(dirname(app), { recursive: true, force: true });
});

describe("the Dockerfile's pnpm deploy output, started without Docker", () => {
  it('contains the entry point each image starts', () => {
    for (const layout of layouts.values()) {
      const [node, entry] = layout.command;
      assert.equal(node, 'node');
      assert.ok(entry && existsSync(join(app, entry)), `${layout.target}: ${entry} missing from the deployed package`);
      assert.ok(entry.startsWith(`${layout.appPath}/`), `${layout.target}: ${entry} belongs to ${layout.appPath}`);
    }
  });

  it('starts api and downstream from the deployed packages alone, and they answer /health', async () => {
    const started: RunningService[] = [];
    try {
      const entry = (target: string): string => join(app, layouts.get(target)?.command[1] ?? '');
      const downstream = await startService(entry('downstream'), { NODE_ENV: 'production' }, 30_000, 'downstream (deployed)');
      started.push(downstream);
      const api = await startService(entry('api'), { NODE_ENV: 'production', DOWNSTREAM_URL: downstream.url }, 30_000, 'api (deployed)');
      started.push(api);
      for (const s of started) {
        const response = await fetch(new URL('/health', s.url), { signal: AbortSignal.timeout(5000) });
        assert.equal(response.status, 200, `${s.name} /health`);
        await response.arrayBuffer();
      }
      // `docker compose run --rm lab audit --metrics ...` with the image's default thresholds.
      // The verdict on an idle api depends on this machine's load; a missing or unreadable
      // thresholds file, or any other config or connection error, is exit 2.
      const audit = runLab(['audit', '--metrics', api.metricsUrl, '--duration', '12s', '--interval', '1s']);
      assert.ok(audit.status === 0 || audit.status === 1, `deployed lab audit exit ${audit.status}: ${audit.stderr}${audit.stdout}`);
      assert.match(audit.stdout, /^lab audit: (HEALTHY|DEGRADED|CRITICAL)/);
      assert.ok(audit.stdout.includes(`thresholds  ${join(app, 'prometheus/thresholds.yml')}\n`), audit.stdout);
    } finally {
      await Promise.all(started.map((s) => s.stop(5000)));
    }
  });

  it('runs the lab command from the deployed CLI, with the scenario catalogue', () => {
    const result = runLab(['list']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^blocking\s/m, 'the catalogue lists the flagship scenario');
  });

  it('reads .dockerignore as Docker does (the check that guards the repo files an image copies)', () => {
    const text = '# comment\n**/node_modules\nprometheus\n!prometheus/thresholds.yml\n*.md\n!README*.md\nREADME-secret.md\n';
    const excluded = [
      'node_modules/x',
      'packages/cli/node_modules/yaml/index.js',
      'prometheus/prometheus.yml',
      'prometheus/rules/alerts.yml',
      'docs.md',
      'README-secret.md',
    ];
    const kept = ['prometheus/thresholds.yml', 'packages/cli/src/bin.ts', 'README.md', 'docs/audit.md', 'prometheus.yml'];
    for (const path of excluded) assert.equal(dockerignoreExcludes(path, text), true, path);
    for (const path of kept) assert.equal(dockerignoreExcludes(path, text), false, path);
  });

  it('runs `lab audit --help` from the deployed CLI', () => {
    const result = runLab(['audit', '--help']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^Usage: lab audit /);
    assert.match(result.stdout, /^Exit codes:$/m);
  });

  it("writes the repo's prometheus/thresholds.yml with the deployed `lab audit --init`", () => {
    const path = join(dirname(app), 'lab-audit.yml');
    const result = runLab(['audit', '--init', path]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      readFileSync(path, 'utf8'),
      readText('prometheus/thresholds.yml'),
      'the image carries the single source of truth, unchanged',
    );
  });
});
