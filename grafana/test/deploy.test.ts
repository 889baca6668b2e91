// The Dockerfile's packaging step, run for real without Docker: each `pnpm deploy` line of the
// Dockerfile is run into a temporary /app laid out as the image's COPY lines lay it out, and
// the result is started as the image would start it (its CMD/ENTRYPOINT, from /app, with
// NODE_ENV=production). This catches a package whose production dependencies, build output or
// shipped files are incomplete, which only a container start would otherwise reveal.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dockerfileStages, effective } from './support/compose.js';
import { type RunningService, startService } from './support/services.js';
import { run } from './support/tools.js';

interface ImageLayout {
  target: string;
  /** pnpm --filter argument. */
  filter: string;
  /** Where the stage copies the deploy output, relative to /app. */
  appPath: string;
  /** CMD or ENTRYPOINT (+ CMD), as argv. */
  command: string[];
}

function imageLayouts(): ImageLayout[] {
  const stages = dockerfileStages();
  const filters = new Map<string, string>(); // /deploy/x -> --filter
  for (const stage of stages) {
    for (const instruction of stage.instructions) {
      for (const match of instruction.matchAll(/pnpm deploy --filter (\S+) --prod (\S+)/g)) filters.set(match[2] as string, match[1] as string);
    }
  }
  return ['api', 'downstream', 'lab'].map((target) => {
    const copy = stages.find((s) => s.name === target)?.instructions.find((i) => i.startsWith('COPY --from=build /deploy/')) ?? '';
    const [, from = '', to = ''] = /^COPY --from=build (\S+) (\S+)$/.exec(copy) ?? [];
    const entrypoint = effective(stages, target, 'ENTRYPOINT');
    const command = JSON.parse(entrypoint ?? effective(stages, target, 'CMD') ?? '[]') as string[];
    const filter = filters.get(from);
    assert.ok(filter && to.startsWith('/app/'), `Dockerfile stage ${target}: expected COPY --from=build /deploy/<name> /app/<path> of a pnpm deploy output, got "${copy}"`);
    return { target, filter, appPath: to.slice('/app/'.length), command };
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
    layouts.set(layout.target, layout);
  }
});

after(() => {
  rmSync(dirname(app), { recursive: true, force: true });
});

describe("the Dockerfile's pnpm deploy output (no Docker engine here)", () => {
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
      const downstream = await startService('downstream (deployed)', entry('downstream'), { NODE_ENV: 'production' });
      started.push(downstream);
      const api = await startService('api (deployed)', entry('api'), { NODE_ENV: 'production', DOWNSTREAM_URL: downstream.url });
      started.push(api);
      for (const s of started) {
        const response = await fetch(new URL('/health', s.url), { signal: AbortSignal.timeout(5000) });
        assert.equal(response.status, 200, `${s.name} /health`);
        await response.arrayBuffer();
      }
    } finally {
      await Promise.all(started.map((s) => s.stop()));
    }
  });

  it('runs the lab command from the deployed CLI, with the scenario catalogue', () => {
    const lab = layouts.get('lab');
    assert.ok(lab);
    const result = spawnSync(process.execPath, [...lab.command.slice(1), 'list'], {
      cwd: app,
      env: { ...process.env, NODE_ENV: 'production' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^blocking\s/m, 'the catalogue lists the flagship scenario');
  });
});
