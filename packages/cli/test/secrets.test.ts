// A credential in a URL the user typed (user-info, ?token=) or in LAB_ADMIN_TOKEN never reaches
// the terminal: error lines of lab fault, lab run and lab audit, through the real CLI.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lab } from '@runtime-lab/test-kit';

const SECRET = 'cli-secret-5e0a91';

test('lab fault / run / audit print URLs and errors without the credential', async () => {
  const runs = [
    ['fault', 'list', '--api', `http://me:${SECRET}@127.0.0.1:9/`],
    ['fault', 'list', '--api', `http://127.0.0.1:9/?token=${SECRET}`],
    ['run', 'baseline', '--no-start', '--api', `http://me:${SECRET}@127.0.0.1:9`],
    ['audit', '--prometheus', `http://127.0.0.1:9/?token=${SECRET}`],
  ];
  let redactedShown = 0;
  for (const args of runs) {
    const result = await lab(args, { env: { LAB_ADMIN_TOKEN: SECRET } });
    const printed = result.stdout + result.stderr;
    assert.equal(result.code, 2, printed);
    if (printed.includes('[redacted]')) redactedShown += 1;
    assert.ok(!printed.includes(SECRET), `${args.join(' ')} printed the secret: ${printed}`);
  }
  // The URLs are still shown (with the credential replaced), so the lines stay useful.
  assert.ok(redactedShown >= 3, `${redactedShown} of ${runs.length} outputs showed a redacted URL`);
});
