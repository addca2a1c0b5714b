/**
 * Issue 23 (admin UI): the environment switcher. A server without environments answers 404 to
 * `GET /api/environments`: the UI then shows no switcher, and works on the flags as before.
 */
import { beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createFlag, type TestServer } from '../helpers/server.js';
import { describeInBrowser, signIn } from './browser.js';

describeInBrowser('admin UI: the environment switcher', (suite) => {
  let ts: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ ts, browser } = suite);
    await createFlag(ts, 'quiet-flag', { description: 'A flag on a server without environments' });
  });

  it('a server without environments (404) shows no switcher, and the flag list and page work as before', async () => {
    const { page, errors } = await signIn(browser, ts, 'oncall', 'olga', '#/flags');
    // The answer of a server that predates environments, whatever this one says.
    await page.route('**/api/environments', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":{"code":"not_found","message":"Not found"}}' }));
    await page.reload();
    await page.locator('tr[data-flag="quiet-flag"]').waitFor();
    await page.locator('a', { hasText: 'quiet-flag' }).click();
    await page.getByRole('heading', { level: 1, name: 'quiet-flag' }).waitFor();
    expect(page.url()).toMatch(/#\/flags\/quiet-flag$/);
    expect(await page.getByTestId('env-switcher').count()).toBe(0);
    expect(await page.getByLabel('Environment', { exact: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Kill switch' }).click();
    await page.getByRole('dialog', { name: 'Kill quiet-flag', exact: true }).waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
