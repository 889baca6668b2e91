// No credential reaches a log line, at the most verbose level, in real service processes: the
// admin token in the control page's query string (accepted, refused with 401, on a 404), a
// near-miss token, the bearer header, error paths (400 bodies), and the api's own calls to
// downstream that carry the token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { API_SERVER, DOWNSTREAM_SERVER, type RunningService, send, startService, stopService } from '@runtime-lab/test-kit';

const TOKEN = 'tok-4f1c2a9e-never-log-me';
const GUESS = 'guess-0b7d-also-a-credential';

describe('secrets in logs (real processes, LOG_LEVEL=trace)', () => {
  let downstream: RunningService;
  let api: RunningService;
  const lines: string[] = [];
  before(async () => {
    const env = { LOG_LEVEL: 'trace', LAB_ADMIN_TOKEN: TOKEN };
    downstream = await startService(DOWNSTREAM_SERVER, env);
    api = await startService(API_SERVER, { ...env, DOWNSTREAM_URL: downstream.url });
    const bearer = { authorization: `Bearer ${TOKEN}` };
    for (const base of [api.url, downstream.url]) {
      await send(`${base}/admin?token=${TOKEN}`);
      await send(`${base}/admin?token=${GUESS}`);
      await send(`${base}/admin/faults?token=${TOKEN}`);
      await send(`${base}/admin/config?token=${TOKEN}&x=1`);
      await send(`${base}/admin/nope?token=${TOKEN}`);
      await send(`${base}/admin/faults`, { headers: { authorization: `Bearer ${GUESS}` } });
      await send(`${base}/admin/config`, { headers: bearer });
      await send(`${base}/admin/config`, { method: 'PUT', headers: bearer, body: `{"latencyMs":"${TOKEN}"}` });
      await send(`${base}/admin/faults/blocking`, { method: 'PUT', headers: bearer, body: `{"mode":"${TOKEN}"}` });
      await send(`${base}/admin/faults/blocking`, { method: 'PUT', headers: bearer, body: `{"${TOKEN}":1` });
    }
    // The api calls downstream with the token as a bearer header.
    await send(`${api.url}/admin/faults/queue-amplification`, { method: 'PUT', headers: bearer, body: '{"ttlSeconds":30}' });
    for (let i = 0; i < 3; i++) await send(`${api.url}/api/checkout`, { method: 'POST', body: '{}' });
    await send(`${api.url}/admin/faults`, { method: 'DELETE', headers: bearer });
    await Promise.all([stopService(api), stopService(downstream)]);
    lines.push(...api.output, ...downstream.output);
  });
  after(async () => {
    await Promise.all([api && stopService(api), downstream && stopService(downstream)]);
  });

  test('the logs are verbose enough to have carried the token (request lines with URLs, 401s, 404s, 400s)', () => {
    const logged = lines.filter((l) => l.startsWith('{"level"'));
    assert.ok(
      logged.some((l) => l.includes('/admin/faults?token=[redacted]')),
      'the refused request is logged, with its token redacted',
    );
    assert.ok(
      logged.some((l) => l.includes('/admin/nope?token=[redacted] not found')),
      'the 404 is logged, with its token redacted',
    );
    assert.ok(
      logged.some((l) => l.includes('/admin/config?token=[redacted]&x=1')),
      'other query parameters are kept',
    );
    assert.ok(
      logged.some((l) => l.includes('"statusCode":401')),
      '401 responses are logged',
    );
    assert.ok(
      logged.some((l) => l.includes('"statusCode":400')),
      '400 responses are logged',
    );
  });

  test('no line at any level contains the token or a guessed token', () => {
    const leaks = lines.filter((l) => l.includes(TOKEN) || l.includes(GUESS));
    assert.deepEqual(leaks, []);
  });

  test('the 404 body does not echo the token either', async () => {
    const again = await startService(API_SERVER, { LAB_ADMIN_TOKEN: TOKEN });
    try {
      const response = await send(`${again.url}/admin/nope?token=${TOKEN}`);
      assert.equal(response.status, 404);
      assert.ok(!response.body.includes(TOKEN), response.body);
      assert.match(response.body, /token=\[redacted\]/);
    } finally {
      await stopService(again);
    }
  });
});
