// The control page in real (headless) Chromium, Debian's package driven by playwright-core:
// what a learner clicks must be what GET /admin/faults then reports.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, sendJson } from '@runtime-lab/test-kit';
import { build } from './helper.js';

interface Toggle {
  name: string;
  active: boolean;
  params: Record<string, unknown>;
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string, timeoutMs = 5000): Promise<T> {
  const end = performance.now() + timeoutMs;
  let value = await read();
  while (!check(value)) {
    if (performance.now() > end) assert.fail(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

describe('control page (headless Chromium)', () => {
  let browser: Browser;
  let app: FastifyInstance;
  let base: string;
  let page: Page;

  before(async () => {
    app = await build();
    base = await listen(app);
    browser = await launchChromium();
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  const faults = async (url = base, headers?: Record<string, string>): Promise<Toggle[]> =>
    (await sendJson<{ faults: Toggle[] }>(`${url}/admin/faults`, 'GET', undefined, headers)).json.faults;
  const toggle = async (name: string, url = base, headers?: Record<string, string>) =>
    (await faults(url, headers)).find((t) => t.name === name) as Toggle;

  test('turning a fault on, updating it past its maximum, and off, as GET /admin/faults sees it', async () => {
    await page.goto(`${base}/admin`);
    const card = page.locator('section[data-toggle="blocking"]');
    await card.locator('[data-field="state"]', { hasText: 'off' }).waitFor();
    // Descriptions and allowed values come from the catalogue.
    assert.match((await card.textContent()) ?? '', /Blocking the event loop.*an integer ≥ 1 \(values above 30000 are clamped to 30000\)/s);

    await card.locator('select[name="mode"]').selectOption('json');
    await card.locator('input[name="durationMs"]').fill('321');
    await card.locator('input[name="routes"][value="ping"]').check();
    await card.locator('button[data-action="apply"]').click();
    const on = await eventually(
      () => toggle('blocking'),
      (t) => t.active,
      'blocking after apply',
    );
    assert.deepEqual(on.params, { mode: 'json', durationMs: 321, fraction: 1, routes: ['ping', 'orders'], trigger: '' });
    await card.locator('[data-field="state"]', { hasText: /ON · \d+ s left/ }).waitFor();

    await card.locator('input[name="durationMs"]').fill('99999');
    await card.locator('button[data-action="apply"]').click();
    await card.locator('[data-field="message"]', { hasText: 'durationMs clamped from 99999 to 30000' }).waitFor();
    assert.equal((await toggle('blocking')).params.durationMs, 30_000);

    await card.locator('input[name="durationMs"]').fill('-5');
    await card.locator('button[data-action="apply"]').click();
    await card
      .locator('[data-field="message"].error', { hasText: 'expected an integer ≥ 1 (values above 30000 are clamped to 30000)' })
      .waitFor();
    assert.equal((await toggle('blocking')).params.durationMs, 30_000, 'a refused update changes nothing');

    await card.locator('button[data-action="off"]').click();
    await eventually(
      () => toggle('blocking'),
      (t) => !t.active,
      'blocking after off',
    );
  });

  test('an input trigger on another fault: set from its card, and a source its route cannot carry refused with the sources allowed', async () => {
    await page.goto(`${base}/admin`);
    const card = page.locator('section[data-toggle="threadpool-saturation"]');
    await card.locator('[data-field="state"]', { hasText: 'off' }).waitFor();
    assert.match((await card.textContent()) ?? '', /trigger .*with source one of header, query,/s);
    await card.locator('input[name="trigger"]').fill('header:x-tenant=acme');
    await card.locator('button[data-action="apply"]').click();
    const on = await eventually(
      () => toggle('threadpool-saturation'),
      (t) => t.active,
      'threadpool-saturation after apply',
    );
    assert.equal(on.params.trigger, 'header:x-tenant=acme');
    await card.locator('input[name="trigger"]').fill('body:tenant=acme');
    await card.locator('button[data-action="apply"]').click();
    await card.locator('[data-field="message"].error', { hasText: 'source "body" is not one of header, query' }).waitFor();
    assert.equal((await toggle('threadpool-saturation')).params.trigger, 'header:x-tenant=acme', 'a refused update changes nothing');
    await card.locator('button[data-action="off"]').click();
    await eventually(
      () => toggle('threadpool-saturation'),
      (t) => !t.active,
      'threadpool-saturation after off',
    );
  });

  test('live state: a change made elsewhere shows up, and reset-all turns everything off', async () => {
    await page.goto(`${base}/admin`);
    await sendJson(`${base}/admin/faults/retry-budget`, 'PUT', { ratio: 0.3 });
    const card = page.locator('section[data-toggle="retry-budget"]');
    await card.locator('[data-field="state"]', { hasText: /ON/ }).waitFor({ timeout: 5000 });
    assert.equal(await card.locator('input[name="ratio"]').inputValue(), '0.3');

    await page.locator('section[data-toggle="larger-pool"] button[data-action="apply"]').click();
    await eventually(
      () => toggle('larger-pool'),
      (t) => t.active,
      'larger-pool after apply',
    );
    await page.locator('#reset-all').click();
    await eventually(
      () => faults(),
      (all) => all.every((t) => !t.active),
      'everything off after reset-all',
    );
    await page.locator('section[data-toggle="retry-budget"] [data-field="state"]', { hasText: 'off' }).waitFor();
  });

  test('with LAB_ADMIN_TOKEN the page works from ?token= and keeps it out of the address bar', async () => {
    const secured = await build({ adminToken: 'page-token' });
    const securedBase = await listen(secured);
    try {
      const auth = { authorization: 'Bearer page-token' };
      const denied = await page.goto(`${securedBase}/admin`);
      assert.equal(denied?.status(), 401);
      await page.goto(`${securedBase}/admin?token=page-token`);
      assert.equal(new URL(page.url()).search, '', 'token removed from the address bar');
      await page.locator('section[data-toggle="offload"] button[data-action="apply"]').click();
      await eventually(
        () => toggle('offload', securedBase, auth),
        (t) => t.active,
        'offload after apply with token',
      );
    } finally {
      await secured.close();
    }
  });
});
