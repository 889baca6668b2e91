// Every kind of mystery incident the draw can produce, switched on for real on a running api with
// its background traffic: each mitigation the catalogue names for that kind at least halves the
// telling route's client P99 (`lab workshop mystery mitigate` exits 0), and a mitigation meant for
// another kind does not (exit 1). Seeded draws, so a failure can be replayed with the same seed.
// Run inside netns-run (it starts the lab services and load on loopback).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Lab, lab, startLabServices } from '@runtime-lab/test-kit';
import { MYSTERIES, MYSTERY_KINDS, type MysteryKind } from '@runtime-lab/workshop';

/** A mitigation that answers none of this kind's causes (the api's catalogue relates it to other faults). */
const WRONG: Record<MysteryKind, string> = {
  blocking: 'retry-budget',
  'executor-saturation': 'offload',
  'threadpool-saturation': 'larger-pool',
  'queue-amplification': 'larger-pool',
};

const SEED = 11;
const stateDir = mkdtempSync(join(tmpdir(), 'lab-workshop-mitigations-'));
const run = (args: string[]) => lab(['workshop', ...args], { env: { LAB_STATE_DIR: stateDir }, timeoutMs: 90_000 });

describe('mystery mitigations, live, for every kind the draw can produce', () => {
  let services: Lab;
  before(async () => {
    services = await startLabServices();
  });
  after(async () => {
    await run(['reset']);
    await services.stop();
  });

  test('the wrong mitigations are not ones the catalogue lists for the kind', () => {
    for (const kind of MYSTERY_KINDS) assert.ok(!MYSTERIES[kind].mitigations.includes(WRONG[kind]), kind);
  });

  for (const kind of MYSTERY_KINDS) {
    for (const [i, mitigation] of MYSTERIES[kind].mitigations.entries()) {
      const name = i === 0 ? `${kind}: ${WRONG[kind]} does not halve the P99, ${mitigation} does` : `${kind}: ${mitigation} halves the P99`;
      test(name, async () => {
        const start = await run(['mystery', 'start', '--api', services.api.url, '--seed', String(SEED), '--kind', kind, '--ttl', '120']);
        assert.equal(start.code, 0, start.stderr);
        try {
          // Let the traffic build the fault's queue before the first measurement.
          await new Promise((r) => setTimeout(r, 2000));
          if (i === 0) {
            const wrong = await run(['mystery', 'mitigate', WRONG[kind], '--seconds', '4']);
            assert.equal(wrong.code, 1, `${WRONG[kind]} against ${kind}: ${wrong.stdout}${wrong.stderr}`);
            assert.match(wrong.stdout, /did not halve the latency: client P99 of \/api\/\w+ \(open loop\) \d+ ms before, \d+ ms after/);
          }
          const right = await run(['mystery', 'mitigate', mitigation, '--seconds', '4']);
          assert.equal(right.code, 0, `${mitigation} against ${kind}: ${right.stdout}${right.stderr}`);
          assert.match(
            right.stdout,
            new RegExp(`${mitigation} worked: client P99 of /api/\\w+ \\(open loop\\) \\d+ ms before, \\d+ ms after`),
          );
          console.log(`${kind}: ${right.stdout.trim().split('\n').slice(-1)[0]}`);
        } finally {
          assert.equal((await run(['mystery', 'reveal'])).code, 0);
        }
      });
    }
  }
});
