/**
 * Issue 23 (admin UI): environments in the browser, against a real server with three of them.
 * The switcher is always in view, production (protected) set apart in colour and in words, the
 * chosen environment in the URL and kept across pages; a kill in one environment names it and
 * leaves the others untouched (checked in the UI and through the API); axe finds nothing, and a
 * phone at 390 px never scrolls sideways.
 */
import { beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createFlag, type TestServer } from '../helpers/server.js';
import { axeViolations } from './axe.js';
import { describeInBrowser, PHONE, signIn } from './browser.js';
import { ok, PLAN } from './seed.js';

const KEY = 'support-draft';

/** How far the page scrolls sideways (0 when it fits its viewport). */
const sideways = (page: Page) => page.evaluate(() => document.scrollingElement!.scrollWidth - document.scrollingElement!.clientWidth);

/** No axe violation and no sideways scroll, listed readably when they fail. */
async function expectClean(page: Page, what: string): Promise<void> {
  await page.emulateMedia({ reducedMotion: 'reduce' });
  const found = await axeViolations(page);
  expect(found.length, `axe on ${what}:\n${found.join('\n')}\n`).toBe(0);
  expect(await sideways(page), `px scrolled sideways on ${what}`).toBeLessThanOrEqual(0);
}

const hashOf = (page: Page) => page.evaluate(() => location.hash);

describeInBrowser('admin UI: environments', (suite) => {
  let ts: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ ts, browser } = suite);
    await ok(ts, 'POST', '/api/environments', ['admin', 'root'], { key: 'development', name: 'Development', order: 1 });
    await ok(ts, 'POST', '/api/environments', ['admin', 'root'], { key: 'staging', name: 'Staging', order: 2 });
    const prod = (await ok(ts, 'GET', '/api/environments', ['viewer', 'v'])).environments.find((e: { key: string }) => e.key === 'production');
    await ok(ts, 'PATCH', '/api/environments/production', ['admin', 'root'], { version: prod.version, order: 3 });
    await createFlag(ts, KEY, { description: 'AI-drafted replies in the support inbox' });
    await createFlag(ts, 'reply-model', { description: 'The reply model' });
    await ok(ts, 'PUT', `/api/envs/staging/flags/${KEY}/plan`, ['pm', 'pm-alice'], PLAN);
  });

  it('the switcher stays in view, sets production apart in red and in words, and keeps the chosen environment in the URL across pages', async () => {
    const { page, errors } = await signIn(browser, ts, 'oncall', 'olga');
    const bar = page.getByTestId('env-switcher');
    await expect.poll(() => bar.getAttribute('data-env')).toBe('production');
    await bar.getByText('Protected', { exact: true }).waitFor();
    const red = await bar.evaluate((el) => getComputedStyle(el).backgroundColor);
    const columns = await page.getByRole('table', { name: 'Flags' }).getByRole('columnheader').allTextContents();
    expect(columns.map((c) => c.trim())).toEqual(expect.arrayContaining(['Development', 'Staging', 'Production (protected)']));

    await page.getByLabel('Environment', { exact: true }).selectOption('staging');
    await expect.poll(() => hashOf(page)).toBe('#/env/staging/flags');
    await expect.poll(() => bar.getAttribute('data-env')).toBe('staging');
    await bar.getByText('Not protected', { exact: true }).waitFor();
    expect(await bar.evaluate((el) => getComputedStyle(el).backgroundColor)).not.toBe(red);

    await page.locator(`tr[data-flag="${KEY}"]`).getByRole('link', { name: KEY }).click();
    await expect.poll(() => hashOf(page)).toBe(`#/env/staging/flags/${KEY}`);
    await page.getByRole('heading', { level: 1, name: KEY }).waitFor();
    await page.getByText('Stage Not started', { exact: false }).first().waitFor();
    // Staging has a plan; the page shows staging's, production has none.
    expect(await page.getByText('No plan yet.').count()).toBe(0);
    await page.evaluate(() => window.scrollTo(0, document.scrollingElement!.scrollHeight));
    const box = await bar.boundingBox();
    expect(box && box.y >= 0 && box.y + box.height <= 900).toBe(true);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit trail' }).click();
    await expect.poll(() => hashOf(page)).toBe('#/env/staging/audit');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Flags' }).click();
    await expect.poll(() => hashOf(page)).toBe('#/env/staging/flags');
    await page.getByLabel('Environment', { exact: true }).selectOption('production');
    await expect.poll(() => hashOf(page)).toBe('#/env/production/flags');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('on-call kills a flag in staging only: the dialog names STAGING, production and development stay live in the UI and the API', async () => {
    const { page, errors } = await signIn(browser, ts, 'oncall', 'olga', `#/env/staging/flags/${KEY}`);
    await page.getByRole('heading', { level: 1, name: KEY }).waitFor();
    await page.getByRole('button', { name: 'Kill switch' }).click();
    const dialog = page.getByRole('dialog', { name: `Kill ${KEY} in STAGING` });
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('staging eval run is broken, INC-4100');
    await dialog.getByRole('checkbox').check();
    await dialog.getByRole('button', { name: 'Kill flag' }).click();
    await dialog.getByText(`${KEY} is killed`, { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.getByTestId('flag-state').textContent()).toBe('Killed');

    const flag = await ok(ts, 'GET', `/api/flags/${KEY}`, ['viewer', 'v']);
    expect(flag.killed).toBe(false);
    expect(flag.environments.staging.killed).toBe(true);
    expect(flag.environments.production.killed).toBe(false);
    expect(flag.environments.development.killed).toBe(false);
    const audit = await ok(ts, 'GET', `/api/audit?flag=${KEY}&action=flag.kill`, ['viewer', 'v']);
    expect(audit.entries.map((e: { environment: string | null }) => e.environment)).toEqual(['staging']);

    // The flag in each environment, side by side: killed in staging only.
    const strip = page.getByRole('navigation', { name: `${KEY} in each environment` });
    await expect.poll(() => strip.locator('li[data-env="staging"]').textContent()).toContain('Killed');
    expect(await strip.locator('li[data-env="production"]').textContent()).not.toContain('Killed');

    await page.getByLabel('Environment', { exact: true }).selectOption('production');
    await expect.poll(() => hashOf(page)).toBe(`#/env/production/flags/${KEY}`);
    await expect.poll(() => page.getByTestId('flag-state').textContent()).not.toBe('Killed');
    await page.getByRole('button', { name: 'Kill switch' }).click();
    const prodDialog = page.getByRole('dialog', { name: `Kill ${KEY} in PRODUCTION` });
    await prodDialog.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Flags' }).click();
    const row = page.locator(`tr[data-flag="${KEY}"]`);
    await expect.poll(() => row.locator('td[data-env="staging"]').textContent()).toContain('Killed');
    expect(await row.locator('td[data-env="production"]').textContent()).not.toContain('Killed');
    expect(await row.locator('td[data-env="development"]').textContent()).not.toContain('Killed');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('with environments, axe finds nothing on the list, a flag page and its kill dialog, and a phone at 390 px never scrolls sideways', async () => {
    for (const viewport of [{ width: 1280, height: 900 }, PHONE]) {
      const { page, errors } = await signIn(browser, ts, 'oncall', 'olga', '#/env/staging/flags', viewport);
      await page.locator(`tr[data-flag="${KEY}"]`).waitFor();
      await expectClean(page, `the flag list in staging at ${viewport.width} px`);
      await page.evaluate((k) => (location.hash = `#/env/production/flags/${k}`), KEY);
      await page.getByRole('heading', { level: 1, name: KEY }).waitFor();
      await page.getByRole('navigation', { name: `${KEY} in each environment` }).waitFor();
      await expectClean(page, `a flag page in production at ${viewport.width} px`);
      await page.getByRole('button', { name: 'Kill switch' }).click();
      await page.getByRole('dialog', { name: `Kill ${KEY} in PRODUCTION` }).waitFor();
      await expectClean(page, `the kill dialog in production at ${viewport.width} px`);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  });

  it('an environment the server does not have shows no flag state under its name, and says so', async () => {
    const { page, errors } = await signIn(browser, ts, 'viewer', 'vera', `#/env/qa/flags/${KEY}`);
    await page.getByRole('heading', { level: 1, name: 'No environment "qa"' }).waitFor();
    expect(await page.getByRole('button', { name: 'Kill switch' }).count()).toBe(0);
    await page.getByTestId('env-switcher').getByText('There is no environment "qa". Choose one.').waitFor();
    await page.getByLabel('Environment', { exact: true }).selectOption('staging');
    await expect.poll(() => hashOf(page)).toBe(`#/env/staging/flags/${KEY}`);
    await page.getByRole('heading', { level: 1, name: KEY }).waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
