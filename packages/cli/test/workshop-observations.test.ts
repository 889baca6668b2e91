// `lab workshop run <module>`, the attendee's command, played through for the blocking module:
// it runs the module's scenario for real and prints each expected observation against that run
// ("as expected" / "DIFFERENT"). Every module's observations are checked against the same quick
// runs the catalogue test makes (tests/test/catalogue.test.ts), so this file runs one module
// only. Run inside netns-run.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Lab, lab, startLabServices } from '@runtime-lab/test-kit';
import { loadModules } from '@runtime-lab/workshop';

/** The module played through: the flagship fault, whose figures are the least load-sensitive. */
const MODULE_ID = 'blocking';
const modules = (await loadModules()).filter((m) => m.id === MODULE_ID);
/** Runs per module before giving up on getting a conclusive one. */
const ATTEMPTS = 3;

describe('lab workshop run prints the expected observations of a module against its real --quick run', () => {
  let services: Lab;
  before(async () => {
    services = await startLabServices();
  });
  after(async () => {
    await services.stop();
  });

  test(`module ${MODULE_ID} exists and has observations to check`, () => {
    assert.equal(modules.length, 1);
    assert.ok((modules[0]?.observations.length ?? 0) > 0);
  });

  for (const module of modules) {
    test(`${module.id} (scenario ${module.scenario})`, async () => {
      // An inconclusive run (the runner fell behind its own schedule, so an expectation rests on the
      // runner's delay: report verdict "inconclusive", exit 2) is no evidence either way: run again,
      // and fail when no attempt is conclusive rather than count it as a pass.
      const inconclusive: string[] = [];
      for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
        const out = mkdtempSync(join(tmpdir(), `lab-workshop-obs-${module.id}-`));
        const result = await lab(
          [
            'workshop',
            'run',
            module.id,
            '--api',
            services.api.url,
            '--metrics',
            services.api.metricsUrl,
            '--runner-port',
            'off',
            '--out',
            out,
          ],
          { env: { LAB_STATE_DIR: out }, timeoutMs: 300_000 },
        );
        const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { verdict: string; inconclusive?: string };
        if (report.verdict === 'inconclusive') {
          assert.equal(result.code, 2, 'an inconclusive run exits 2');
          assert.match(result.stdout, /This run was inconclusive/, 'lab workshop run says its figures are no evidence');
          inconclusive.push(`attempt ${attempt}: ${report.inconclusive ?? ''}`);
          continue;
        }
        const checks = module.observations.reduce((n, o) => n + o.checks.length, 0);
        const lines = result.stdout.split('\n').filter((l) => /^ {2}(as expected|DIFFERENT)/.test(l));
        assert.equal(lines.length, checks, result.stdout + result.stderr);
        assert.deepEqual(
          lines.filter((l) => l.includes('DIFFERENT')),
          [],
          `${module.file}: observations differ from this run:\n${result.stdout}`,
        );
        return;
      }
      assert.fail(
        `${module.id}: no conclusive run in ${ATTEMPTS} attempts, so its observations were not checked:\n${inconclusive.join('\n')}`,
      );
    });
  }
});
