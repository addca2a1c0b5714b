/**
 * One wording for where a rollout stands (issue 21): the flag list, the flag page's badge and its
 * rollout panel use the same function, so a flag at 100% is "Fully rolled out" everywhere; and a
 * stage's percentage says whom it counts: "of cohort" only when the plan has a cohort, else
 * "of users".
 */
import { beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createFlag, type TestServer } from '../helpers/server.js';
import { describeInBrowser, signIn } from './browser.js';
import { ok, signOff } from './seed.js';

/** Signs off (pm-bob) and advances (pm-alice) the flag's next stage. */
async function advance(ts: TestServer, key: string): Promise<void> {
  await signOff(ts, key, ['pm', 'pm-bob'], 'looked at it');
  await ok(ts, 'POST', `/api/flags/${key}/advance`, ['pm', 'pm-alice'], { reason: 'next stage' });
}

/** The list row's stage text and state badge. */
async function listed(page: Page, key: string): Promise<{ stage: string; state: string }> {
  const row = page.locator(`tr[data-flag="${key}"]`);
  await row.waitFor();
  const stage = (await row.locator('.stage > span').first().innerText()).trim();
  const state = (await row.locator('td').nth(2).locator('.badge').first().innerText()).trim();
  return { stage, state };
}

/** The flag page's state badge and its "Stage …" line. */
async function onItsPage(page: Page, key: string): Promise<{ stage: string; state: string }> {
  await page.evaluate((k) => (location.hash = `#/flags/${k}`), key);
  const badge = page.getByTestId('flag-state');
  await page.getByRole('heading', { name: key, level: 1 }).waitFor();
  const meta = page.locator('sy-flag-header .meta > span').first();
  return { stage: (await meta.innerText()).trim(), state: (await badge.innerText()).trim() };
}

describeInBrowser('rollout wording: one status label everywhere, and whom a percentage counts', (suite) => {
  let ts: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ ts, browser } = suite);
    // No cohort: everyone is eligible; one stage, 100%, reached.
    await createFlag(ts, 'everyone-at-once');
    await ok(ts, 'PUT', '/api/flags/everyone-at-once/plan', ['pm', 'pm-alice'], { cohort: [], stages: [{ percent: 100, signoffs: 1 }] });
    await advance(ts, 'everyone-at-once');
    // A cohort (pro plans), half-way: 50% of it.
    await createFlag(ts, 'pro-half');
    await ok(ts, 'PUT', '/api/flags/pro-half/plan', ['pm', 'pm-alice'], {
      cohort: [{ attr: 'plan', op: 'in', values: ['pro'] }],
      stages: [{ percent: 50, signoffs: 1 }, { percent: 100, signoffs: 1 }],
    });
    await advance(ts, 'pro-half');
  });

  it('a flag at 100% reads "Fully rolled out" on the list, on its page and in its rollout panel alike', async () => {
    const { page, errors } = await signIn(browser, ts, 'viewer', 'vera');
    const row = await listed(page, 'everyone-at-once');
    expect(row.state).toBe('Fully rolled out');
    const flagPage = await onItsPage(page, 'everyone-at-once');
    expect(flagPage.state).toBe(row.state);
    await expect.poll(() => page.getByTestId('rollout-end').innerText()).toMatch(/^Fully rolled out: /);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a plan without a cohort counts its percentage of users, never "of cohort"', async () => {
    const { page, errors } = await signIn(browser, ts, 'viewer', 'vera');
    expect((await listed(page, 'everyone-at-once')).stage).toBe('100% of users · stage 1 of 1');
    expect((await onItsPage(page, 'everyone-at-once')).stage).toBe('Stage 100% of users (stage 1 of 1)');
    expect((await page.getByTestId('rollout-end').innerText()).trim()).toBe('Fully rolled out: 100% of users.');
    expect(await page.locator('body').innerText()).not.toContain('of cohort');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a plan with a cohort says "of cohort", and reads "Rolling out" below 100% on the list and its page', async () => {
    const { page, errors } = await signIn(browser, ts, 'viewer', 'vera');
    expect(await listed(page, 'pro-half')).toEqual({ stage: '50% of cohort · stage 1 of 2', state: 'Rolling out' });
    expect(await onItsPage(page, 'pro-half')).toEqual({ stage: 'Stage 50% of cohort (stage 1 of 2)', state: 'Rolling out' });
    await advance(ts, 'pro-half');
    await page.getByTestId('rollout-end').getByText('Fully rolled out: 100% of cohort.').waitFor();
    await expect.poll(() => page.getByTestId('flag-state').innerText()).toBe('Fully rolled out');
    await page.evaluate(() => (location.hash = '#/flags'));
    await expect.poll(() => listed(page, 'pro-half')).toEqual({ stage: '100% of cohort · stage 2 of 2', state: 'Fully rolled out' });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
