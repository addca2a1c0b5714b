/**
 * Issue 23 (admin UI): promotion and the compare board in the browser, against a real server.
 * A PM promotes staging's plan into production from a dialog that shows the field-level diff and
 * the gates production will face; a side that moved after the diff is refused and the dialog
 * shows the new diff; the compare board shows every environment side by side and what differs.
 */
import { beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createFlag, type TestServer } from '../helpers/server.js';
import { axeViolations } from './axe.js';
import { describeInBrowser, PHONE, signIn } from './browser.js';
import { ok, PLAN } from './seed.js';

const sideways = (page: Page) => page.evaluate(() => document.scrollingElement!.scrollWidth - document.scrollingElement!.clientWidth);

describeInBrowser('admin UI: promotion and the compare board', (suite) => {
  let ts: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ ts, browser } = suite);
    await ok(ts, 'POST', '/api/environments', ['admin', 'root'], { key: 'staging', name: 'Staging', order: 1 });
    const prod = (await ok(ts, 'GET', '/api/environments', ['viewer', 'v'])).environments.find((e: { key: string }) => e.key === 'production');
    await ok(ts, 'PATCH', '/api/environments/production', ['admin', 'root'], { version: prod.version, order: 2 });
    for (const key of ['reply-model', 'reply-tone', 'inbox-triage']) {
      await createFlag(ts, key, { description: `The ${key} flag` });
      await ok(ts, 'PUT', `/api/envs/staging/flags/${key}/plan`, ['pm', 'pm-alice'], PLAN);
    }
  });

  it('a PM promotes staging\'s plan into production from a dialog that shows the diff and the gates production will face', async () => {
    const { page, errors } = await signIn(browser, ts, 'pm', 'pm-bob', '#/env/production/flags/reply-model');
    await page.getByText('No plan yet.').waitFor();
    await page.getByRole('button', { name: 'Promote into PRODUCTION…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Promote reply-model into PRODUCTION' });
    await dialog.waitFor();
    expect(await dialog.getByLabel('Promote from').inputValue()).toBe('staging');
    const diff = dialog.getByRole('table', { name: 'What the promotion changes in PRODUCTION' });
    await diff.waitFor();
    expect(await diff.getByRole('row').count()).toBeGreaterThan(1);
    expect(await diff.textContent()).toContain('stages');
    await dialog.getByRole('heading', { name: 'Gates PRODUCTION will face' }).waitFor();
    expect((await axeViolations(page)).join('\n')).toBe('');

    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('held in staging for a day, eval flat');
    await dialog.getByRole('button', { name: 'Promote into PRODUCTION' }).click();
    await dialog.getByText('Promoted reply-model from STAGING into PRODUCTION', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.getByText('No plan yet.').count()).toBe(0);

    const [staging, production] = await Promise.all(
      ['staging', 'production'].map((env) => ok(ts, 'GET', `/api/envs/${env}/flags/reply-model/plan`, ['viewer', 'v'])),
    );
    expect(production.plan.stages.map((s: { percent: number }) => s.percent)).toEqual(staging.plan.stages.map((s: { percent: number }) => s.percent));
    const audit = await ok(ts, 'GET', '/api/audit?flag=reply-model&action=plan.promote', ['viewer', 'v']);
    expect(audit.entries.map((e: { actor: string; environment: string }) => `${e.actor} ${e.environment}`)).toEqual(['pm-bob production']);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a promotion whose source moved after the diff was shown is refused, and the dialog then shows the new diff', async () => {
    const { page } = await signIn(browser, ts, 'pm', 'pm-bob', '#/env/production/flags/reply-tone');
    await page.getByRole('button', { name: 'Promote into PRODUCTION…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Promote reply-tone into PRODUCTION' });
    await dialog.getByRole('table', { name: 'What the promotion changes in PRODUCTION' }).waitFor();
    const moved = { ...PLAN, stages: [{ ...PLAN.stages[0]!, percent: 10 }, ...PLAN.stages.slice(1)] };
    await ok(ts, 'PUT', '/api/envs/staging/flags/reply-tone/plan', ['pm', 'pm-alice'], moved);

    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('promote the tone tweaks');
    await dialog.getByRole('button', { name: 'Promote into PRODUCTION' }).click();
    await dialog.getByRole('alert').waitFor();
    expect(await dialog.getByRole('alert').textContent()).toContain('The diff above now shows the latest plans');
    const production = await ok(ts, 'GET', '/api/envs/production/flags/reply-tone/plan', ['viewer', 'v']);
    expect(production.plan).toBeNull();

    await dialog.getByRole('button', { name: 'Promote into PRODUCTION' }).click();
    await dialog.getByText('Promoted reply-tone from STAGING into PRODUCTION', { exact: false }).waitFor();
    const after = await ok(ts, 'GET', '/api/envs/production/flags/reply-tone/plan', ['viewer', 'v']);
    expect(after.plan.stages[0].percent).toBe(10);
    await page.context().close();
  });

  it('the compare board shows each environment side by side and what differs, with no axe violation and no sideways scroll on a phone', async () => {
    await ok(ts, 'POST', '/api/envs/staging/flags/inbox-triage/kill', ['oncall', 'olga'], { reason: 'staging outage' });
    for (const viewport of [{ width: 1280, height: 900 }, PHONE]) {
      const { page, errors } = await signIn(browser, ts, 'viewer', 'vera', '#/flags', viewport);
      await page.getByRole('link', { name: 'Compare' }).click();
      await page.getByRole('heading', { level: 1, name: 'Compare environments' }).waitFor();
      const row = page.locator('tr[data-flag="inbox-triage"]');
      await expect.poll(() => row.getByRole('list', { name: 'What differs for inbox-triage' }).textContent()).toContain('killed in staging only');
      expect(await row.locator('td[data-env="staging"]').textContent()).toContain('Killed');
      expect(await row.locator('td[data-env="production"]').textContent()).not.toContain('Killed');
      await page.emulateMedia({ reducedMotion: 'reduce' });
      expect((await axeViolations(page)).join('\n')).toBe('');
      expect(await sideways(page)).toBeLessThanOrEqual(0);

      await page.getByLabel('Only flags that differ').check();
      await row.waitFor();
      expect(errors).toEqual([]);
      await page.context().close();
    }
  });
});
