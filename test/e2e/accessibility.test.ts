/**
 * Every page of the admin UI, and every dialog that can be opened from it, at a desktop width
 * (1280 px) and a phone's (390 px): axe-core finds no violation, and the page never scrolls
 * sideways. The pages are seeded through the real API with what makes them busiest: a cohort
 * plan with gates and metrics, a flag fully rolled out to everyone, a killed and an archived
 * flag, SDK usage reported by a real SDK, issued and revoked SDK keys.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { createClient, type Client } from '@switchyard-flags/sdk/node';
import { createFlag, type TestServer } from '../helpers/server.js';
import { axeViolations } from './axe.js';
import { describeInBrowser, PHONE, signIn } from './browser.js';
import { aggregates, flagWithPlan, ok, signOff } from './seed.js';

const WIDTHS = [{ width: 1280, height: 900 }, PHONE];
const WAIT = { timeout: 10_000 };

/** How far the page scrolls sideways (0 when it fits its viewport). */
const sideways = (page: Page) =>
  page.evaluate(() => document.scrollingElement!.scrollWidth - document.scrollingElement!.clientWidth);

/** No axe violation and no sideways scroll, both listed readably when they fail. */
async function expectClean(page: Page, what: string): Promise<void> {
  // Colours are measured with no transitions (prefers-reduced-motion: a list that re-renders under
  // a dialog's result once faded its Kill buttons in mid-measure) and once any other animation has ended.
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity),
  );
  const found = await axeViolations(page);
  expect(found.length, `axe on ${what}:\n${found.join('\n')}\n`).toBe(0);
  expect(await sideways(page), `px scrolled sideways on ${what}`).toBeLessThanOrEqual(0);
}

describeInBrowser('every page of the admin UI at 1280 and 390 px: no axe violation, no sideways scroll', (suite) => {
  let ts: TestServer;
  let browser: Browser;
  let client: Client | undefined;

  beforeAll(async () => {
    ({ ts, browser } = suite);
    // A cohort plan with gates, metrics and one stage begun: the busiest flag page.
    await flagWithPlan(ts, 'reply-drafts-with-a-long-key', {
      description: 'AI-drafted replies in the support inbox, using the new prompt set and the larger model',
      tags: ['ai', 'support'], on: true, off: false,
    });
    await signOff(ts, 'reply-drafts-with-a-long-key', ['pm', 'pm-bob'], 'read 50 drafts');
    await aggregates(ts, 'reply-drafts-with-a-long-key', [['eval_score', 40, 0.87, 0.05], ['error_rate', 40, 0.002, 0.001]]);
    await aggregates(ts, 'reply-drafts-with-a-long-key', [['eval_score', 40, 0.86, 0.05], ['error_rate', 40, 0.002, 0.001]], 'control');
    await ok(ts, 'POST', '/api/flags/reply-drafts-with-a-long-key/advance', ['pm', 'pm-alice'], { reason: 'gates met' });
    // No cohort, one stage of 100%, fully rolled out.
    await createFlag(ts, 'checkout-v2', { tags: ['payments'], on: true, off: false });
    await ok(ts, 'PUT', '/api/flags/checkout-v2/plan', ['pm', 'pm-alice'], { cohort: [], stages: [{ percent: 100, signoffs: 1 }] });
    await signOff(ts, 'checkout-v2', ['pm', 'pm-bob'], 'ok');
    await ok(ts, 'POST', '/api/flags/checkout-v2/advance', ['pm', 'pm-alice'], { reason: 'ship it' });
    // Enough flags that the bulk dialogs' lists scroll.
    for (let i = 1; i <= 12; i++) await createFlag(ts, `support-macro-${String(i).padStart(2, '0')}`, { tags: ['support'] });
    await createFlag(ts, 'legacy-banner', { tags: ['ai'] });
    await flagWithPlan(ts, 'paused-summaries', { description: 'Thread summaries' });
    await ok(ts, 'POST', '/api/flags/paused-summaries/pause', ['oncall', 'olga'], { reason: 'waiting for the eval rerun' });
    await ok(ts, 'POST', '/api/flags/legacy-banner/kill', ['oncall', 'olga'], { reason: 'INC-3001 banner overlaps checkout' });
    const old = await createFlag(ts, 'old-experiment');
    await ok(ts, 'POST', '/api/flags/old-experiment/archive', ['admin', 'root'], { reason: 'experiment over', version: old.version });
    // SDK keys: one in use (its SDK reports usage), one revoked.
    const sdkKey = (await ok(ts, 'POST', '/api/sdk-keys', ['admin', 'root'], { name: 'support-inbox (production)' })).key as string;
    const revoked = await ok(ts, 'POST', '/api/sdk-keys', ['admin', 'root'], { name: 'checkout-web (staging)', kind: 'client' });
    await ok(ts, 'POST', `/api/sdk-keys/${revoked.id}/revoke`, ['admin', 'root'], { reason: 'staging retired' });
    client = createClient({ url: ts.url, sdkKey, WebSocket: WebSocket as never, telemetryIntervalMs: 200 });
    expect(await client.ready({ timeoutMs: 5000 })).toBe(true);
    for (let i = 0; i < 20; i++) client.isEnabled('reply-drafts-with-a-long-key', { key: `u${i}`, plan: i % 2 ? 'pro' : 'free' });
    // The SDK reports every 200 ms; expect.poll is for tests only, so wait by hand (10 s at most).
    for (let i = 0; i < 100; i++) {
      if ((await ok(ts, 'GET', '/api/flags/reply-drafts-with-a-long-key/usage', ['viewer', 'v'])).evaluations === 20) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(() => client?.close());

  for (const viewport of WIDTHS) {
    const at = `at ${viewport.width} px`;

    it(`the sign-in page is clean ${at}`, async () => {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      await page.goto(ts.url);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await expectClean(page, `the sign-in page ${at}`);
      await page.getByLabel('Token').fill('not-a-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#token-error:not([hidden])').waitFor();
      await expectClean(page, `the sign-in page with an error ${at}`);
      await context.close();
    });

    it(`the flag list and its dialogs (kill, kill all, kill by tag, restore all, new flag) are clean ${at}`, async () => {
      const { page, errors } = await signIn(browser, ts, 'admin', 'ada', '#/flags', viewport);
      await page.locator('tr[data-flag="checkout-v2"]').waitFor();
      await expectClean(page, `the flag list ${at}`);
      const dialogs: Array<[opener: string, dialog: string]> = [
        ['Kill switch for checkout-v2', 'Kill checkout-v2'],
        ['Kill all…', 'Kill all flags'],
        ['Kill by tag…', 'Kill every flag with a tag'],
        ['Restore all…', 'Restore all killed flags'],
        ['+ New flag', 'New flag'],
      ];
      for (const [opener, name] of dialogs) {
        await page.getByRole('button', { name: opener, exact: true }).click();
        const dialog = page.getByRole('dialog', { name });
        await dialog.waitFor();
        await expectClean(page, `the “${name}” dialog ${at}`);
        if (name === 'New flag') {
          await dialog.getByLabel('Key').fill('Not A Key!');
          await dialog.getByRole('button', { name: 'Create flag' }).click();
          await dialog.getByRole('alert').waitFor();
          await expectClean(page, `the “New flag” dialog with errors ${at}`);
        }
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'hidden' });
      }
      expect(errors).toEqual([]);
      await page.context().close();
    });

    // A cohort plan mid-rollout, everyone at 100%, killed, archived, paused, and no plan at all.
    for (const key of ['reply-drafts-with-a-long-key', 'checkout-v2', 'legacy-banner', 'old-experiment', 'paused-summaries', 'support-macro-01']) {
      it(`the flag page of ${key} is clean ${at}`, async () => {
        const { page, errors } = await signIn(browser, ts, 'admin', 'ada', `#/flags/${key}`, viewport);
        await page.getByRole('heading', { name: 'Usage' }).waitFor(WAIT);
        await page.getByRole('heading', { name: 'History' }).waitFor(WAIT);
        if (key === 'reply-drafts-with-a-long-key') await page.locator('sy-flag-usage table').waitFor(WAIT);
        await expectClean(page, `the flag page of ${key} ${at}`);
        expect(errors).toEqual([]);
        await page.context().close();
      });
    }

    it(`the flag page's dialogs (pause, roll back, sign off) are clean ${at}`, async () => {
      const { page, errors } = await signIn(browser, ts, 'pm', 'pm-carol', '#/flags/reply-drafts-with-a-long-key', viewport);
      for (const [opener, name] of [['Pause', /^Pause/], ['Roll back', /^Roll back/], ['Sign off', /^Sign off/]] as const) {
        await page.getByRole('button', { name: opener, exact: true }).click();
        const dialog = page.getByRole('dialog', { name });
        await dialog.waitFor();
        await expectClean(page, `the “${opener}” dialog ${at}`);
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'hidden' });
      }
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it(`the flag page's editors (details, plan, a preview's answer, archive, and an invalid plan's errors) are clean ${at}`, async () => {
      const { page, errors } = await signIn(browser, ts, 'admin', 'ada', '#/flags/reply-drafts-with-a-long-key', viewport);
      await page.getByRole('button', { name: 'Edit details…' }).click();
      const edit = page.getByRole('dialog', { name: 'Edit reply-drafts-with-a-long-key' });
      await edit.waitFor();
      await expectClean(page, `the “Edit details” dialog ${at}`);
      await page.keyboard.press('Escape');
      await edit.waitFor({ state: 'hidden' });
      await page.getByRole('button', { name: 'Archive flag…' }).click();
      const archive = page.getByRole('dialog', { name: /^Archive/ });
      await archive.waitFor();
      await expectClean(page, `the “Archive” dialog ${at}`);
      await page.keyboard.press('Escape');
      await archive.waitFor({ state: 'hidden' });
      await page.getByLabel('User key').fill('user-42');
      await page.getByLabel('Attributes (one name=value per line)').fill('plan=pro');
      await page.getByRole('button', { name: 'Preview', exact: true }).click();
      await page.locator('sy-rollout-preview').getByText('bucket', { exact: false }).first().waitFor(WAIT);
      await expectClean(page, `a preview's answer ${at}`);
      await page.getByRole('button', { name: 'Edit plan' }).click();
      await page.getByRole('button', { name: 'Save plan' }).waitFor();
      await expectClean(page, `the plan editor ${at}`);
      await page.getByRole('button', { name: '+ Add stage' }).click();
      await page.getByRole('button', { name: 'Save plan' }).click();
      await page.locator('sy-plan-editor [role="alert"]').first().waitFor(WAIT);
      await expectClean(page, `the plan editor showing errors ${at}`);
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it(`a kill by tag's result and the restore's result are clean ${at}`, async () => {
      const { page, errors } = await signIn(browser, ts, 'oncall', 'otto', '#/flags', viewport);
      await page.locator('tr[data-flag="support-macro-12"]').waitFor();
      for (const [opener, name, submit, done] of [
        ['Kill by tag…', 'Kill every flag with a tag', 'Kill flags with this tag', /^Killed 1[0-9] flags/],
        ['Restore by tag…', 'Restore every flag with a tag', 'Restore flags with this tag', /^Restored 1[0-9] flags/],
      ] as const) {
        await page.getByRole('button', { name: opener, exact: true }).click();
        const dialog = page.getByRole('dialog', { name });
        await dialog.getByLabel('Tag').selectOption('support');
        await dialog.getByLabel('Reason (recorded in the audit trail)').fill(`accessibility check ${at}`);
        await dialog.getByRole('checkbox').check();
        await dialog.getByRole('button', { name: submit }).click();
        await dialog.getByText(done).waitFor(WAIT);
        await expectClean(page, `the result of “${name}” ${at}`);
        await dialog.getByRole('button', { name: 'Done' }).click();
        await dialog.waitFor({ state: 'hidden' });
      }
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it(`a single kill's result and the restore's result are clean ${at}`, async () => {
      const { page, errors } = await signIn(browser, ts, 'oncall', 'otto', '#/flags/support-macro-02', viewport);
      for (const [opener, name, submit, done] of [
        ['Kill switch', 'Kill support-macro-02', 'Kill flag', 'support-macro-02 is killed'],
        ['Restore flag…', 'Restore support-macro-02', 'Restore flag', 'support-macro-02 is restored'],
      ] as const) {
        await page.getByRole('button', { name: opener, exact: true }).click();
        const dialog = page.getByRole('dialog', { name });
        await dialog.getByLabel('Reason (recorded in the audit trail)').fill(`accessibility check ${at}`);
        await dialog.getByRole('checkbox').check();
        await dialog.getByRole('button', { name: submit }).click();
        await dialog.getByText(done, { exact: false }).waitFor(WAIT);
        await expectClean(page, `the result of “${name}” ${at}`);
        await dialog.getByRole('button', { name: 'Done' }).click();
        await dialog.waitFor({ state: 'hidden' });
      }
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it(`the audit trail is clean ${at}`, async () => {
      const { page, errors } = await signIn(browser, ts, 'admin', 'ada', '#/audit', viewport);
      await page.locator('sy-audit-list li.entry').first().waitFor(WAIT);
      await expectClean(page, `the audit trail ${at}`);
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it(`the SDK keys page and its revoke dialog are clean ${at}`, async () => {
      const { page, errors } = await signIn(browser, ts, 'admin', 'ada', '#/keys', viewport);
      await page.locator('tr[data-key]').first().waitFor(WAIT);
      await expectClean(page, `the SDK keys page ${at}`);
      await page.getByRole('button', { name: 'Revoke support-inbox (production)' }).click();
      const dialog = page.getByRole('dialog', { name: /^Revoke the SDK key/ });
      await dialog.waitFor();
      await expectClean(page, `the revoke dialog ${at}`);
      await page.keyboard.press('Escape');
      expect(errors).toEqual([]);
      await page.context().close();
    });

    it(`the offline banner and the sign-in page's notice after the server rejects a token are clean ${at}`, async () => {
      const { page, context } = await signIn(browser, ts, 'viewer', 'vera', '#/flags', viewport);
      await page.locator('tr[data-flag="checkout-v2"]').waitFor();
      await context.setOffline(true);
      await page.evaluate(() => (location.hash = '#/audit'));
      await page.getByTestId('offline-banner').waitFor(WAIT);
      await expectClean(page, `the offline banner ${at}`);
      await context.close();

      const fresh = await browser.newContext({ viewport });
      const signInPage = await fresh.newPage();
      const token = await ts.token('viewer', 'vera');
      const forged = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`; // a bad signature
      await signInPage.goto(`${ts.url}/#token=${forged}`);
      await signInPage.getByText('The server rejected your token', { exact: false }).waitFor(WAIT);
      await expectClean(signInPage, `the sign-in page's notice ${at}`);
      await fresh.close();
    });

    it(`the page of a role that cannot read flags (metrics) is clean ${at}`, async () => {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      await page.goto(`${ts.url}/#token=${await ts.token('metrics', 'eval-reporter')}`);
      await page.getByRole('heading', { name: 'Nothing to see here' }).waitFor();
      await expectClean(page, `the metrics role's page ${at}`);
      await context.close();
    });

    it(`a viewer's pages, with every action disabled and explained, are clean ${at}`, async () => {
      const { page, errors } = await signIn(browser, ts, 'viewer', 'vera', '#/flags', viewport);
      await page.locator('tr[data-flag="checkout-v2"]').waitFor();
      await expectClean(page, `the viewer's flag list ${at}`);
      await page.evaluate(() => (location.hash = '#/flags/reply-drafts-with-a-long-key'));
      await page.getByRole('heading', { name: 'History' }).waitFor(WAIT);
      await expectClean(page, `the viewer's flag page ${at}`);
      await page.evaluate(() => (location.hash = '#/keys'));
      await page.getByRole('heading', { name: 'SDK keys' }).waitFor(WAIT);
      await expectClean(page, `the viewer's SDK keys page ${at}`);
      expect(errors).toEqual([]);
      await page.context().close();
    });
  }
});
