/**
 * Issue 20 finding 9, the admin UI half: the flag list reads `GET /api/flags` a page at a time
 * ("Load more flags"), and a value the list left out (a long prompt) is named by its size where
 * the list's dialogs mention it.
 */
import { beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createFlag, type TestServer } from '../helpers/server.js';
import { describeInBrowser, signIn } from './browser.js';
import { ok } from './seed.js';

const LONG = 'You are a careful support agent; cite the order number. '.repeat(280); // 15.7 KB

describeInBrowser('admin UI: the flag list in pages', (suite) => {
  let ts: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ ts, browser } = suite);
    await createFlag(ts, 'a-long-prompt', { on: `${LONG} v2`, off: `${LONG} v1`, tags: ['ai'] });
    for (let i = 0; i < 130; i++) await createFlag(ts, `f-${String(i).padStart(3, '0')}`, { tags: [i % 2 ? 'odd' : 'even'] });
  });

  it('the list shows the first 100 flags and "Load more flags"; loading more shows the rest and the button goes', async () => {
    const { page, errors } = await signIn(browser, ts, 'viewer', 'vera');
    const rows = page.locator('tr[data-flag]');
    await expect.poll(() => rows.count()).toBe(100);
    await page.getByText('100 flags loaded').waitFor();
    await page.getByRole('button', { name: 'Load more flags' }).click();
    await expect.poll(() => rows.count()).toBe(131);
    await page.getByText('131 flags', { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Load more flags' }).count()).toBe(0);
    expect(await page.locator('tr[data-flag="f-129"]').count()).toBe(1);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('killing a flag whose long off value the list left out names its size, and the kill lands', async () => {
    const { page, errors } = await signIn(browser, ts, 'oncall', 'olga');
    await page.getByRole('button', { name: 'Kill switch for a-long-prompt' }).click();
    const dialog = page.getByRole('dialog', { name: 'Kill a-long-prompt' });
    const bytes = JSON.stringify(`${LONG} v1`).length;
    await dialog.getByText(`serve the off value (a ${(bytes / 1024).toFixed(1)} KB value, shown on the flag's page)`, { exact: false }).waitFor();
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('prompt leaks order notes, INC-2310');
    await dialog.getByRole('checkbox').check();
    await dialog.getByRole('button', { name: 'Kill flag' }).click();
    await dialog.getByText('a-long-prompt is killed', { exact: false }).waitFor();
    expect((await ok(ts, 'GET', '/api/flags/a-long-prompt', ['viewer', 'v'])).killed).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('after loading every page, a kill from the second page reloads the list without shrinking it', async () => {
    const { page, errors } = await signIn(browser, ts, 'oncall', 'olga');
    const rows = page.locator('tr[data-flag]');
    await expect.poll(() => rows.count()).toBe(100);
    await page.getByRole('button', { name: 'Load more flags' }).click();
    await expect.poll(() => rows.count()).toBe(131);
    await page.getByRole('button', { name: 'Kill switch for f-120' }).click();
    const dialog = page.getByRole('dialog', { name: 'Kill f-120' });
    await dialog.getByText('serve the off value (false)', { exact: false }).waitFor();
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('bad ranking, INC-2311');
    await dialog.getByRole('checkbox').check();
    await dialog.getByRole('button', { name: 'Kill flag' }).click();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.locator('tr[data-flag="f-120"].is-killed').waitFor();
    expect(await rows.count()).toBe(131);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the kill-by-tag preview lists every flag with the tag, also those beyond the pages loaded', async () => {
    const { page, errors } = await signIn(browser, ts, 'oncall', 'olga');
    await expect.poll(() => page.locator('tr[data-flag]').count()).toBe(100);
    await page.getByRole('button', { name: 'Kill by tag…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Kill every flag with a tag' });
    await dialog.getByLabel('Tag').selectOption('odd');
    const willKill = dialog.getByRole('list', { name: 'Will be killed' }).getByRole('listitem');
    await expect.poll(() => willKill.count()).toBe(65);
    expect(await willKill.filter({ hasText: 'f-129' }).count()).toBe(1);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
