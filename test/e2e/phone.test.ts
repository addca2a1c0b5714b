import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createFlag, type TestServer } from '../helpers/server.js';
import { describeInBrowser, PHONE, SCREENSHOTS, signIn } from './browser.js';
import { ok } from './seed.js';

/** True when the page does not scroll sideways. */
const noSideways = (page: Page) => page.evaluate(() => document.scrollingElement!.scrollWidth <= window.innerWidth);

/** The focused element, followed through shadow roots: its tag and text. */
const focused = (page: Page) =>
  page.evaluate(() => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return el ? { tag: el.tagName.toLowerCase(), text: (el.textContent ?? '').trim() } : null;
  });

/** Within the viewport's width (the page scrolled down to it if need be, never sideways). */
async function withinWidth(page: Page, box: { x: number; width: number } | null): Promise<boolean> {
  const width = await page.evaluate(() => window.innerWidth);
  return !!box && box.x >= 0 && box.x + box.width <= width;
}

describeInBrowser('admin UI on a phone (390 px wide)', (suite) => {
  let ts: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ ts, browser } = suite);
    await createFlag(ts, 'reply-drafts-with-a-long-key', {
      description: 'AI-drafted replies in the support inbox, using the new prompt set and the larger model',
      tags: ['ai', 'support', 'provider-x'],
      owner: 'ai-platform-team@acme.example',
    });
    await createFlag(ts, 'checkout-v2', { tags: ['payments'] });
  });

  it('on-call kills a flag from the list without scrolling sideways, and is told in words that no SDK is connected', async () => {
    const { page, errors } = await signIn(browser, ts, 'oncall', 'olga', '#/flags', PHONE);
    const row = page.locator('tr[data-flag="reply-drafts-with-a-long-key"]');
    await row.waitFor();
    expect(await noSideways(page)).toBe(true);
    const kill = row.getByRole('button', { name: 'Kill switch for reply-drafts-with-a-long-key' });
    await kill.scrollIntoViewIfNeeded();
    expect(await withinWidth(page, await kill.boundingBox())).toBe(true);
    expect(await page.evaluate(() => window.scrollX)).toBe(0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'phone-flags.png') });

    await kill.click();
    const dialog = page.getByRole('dialog', { name: 'Kill reply-drafts-with-a-long-key' });
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('drafts leak internal notes, INC-3001');
    await dialog.getByRole('checkbox').check();
    const submit = dialog.getByRole('button', { name: 'Kill flag' });
    expect(await withinWidth(page, await submit.boundingBox())).toBe(true);
    await submit.click();
    await dialog.getByText('reply-drafts-with-a-long-key is killed', { exact: false }).waitFor();
    const reach = dialog.getByTestId('propagation');
    await reach.getByText('No SDK is connected', { exact: false }).waitFor();
    expect(await reach.textContent()).not.toContain('0 of 0');
    expect(await reach.getByRole('img').count()).toBe(0); // no full green bar for nobody reached
    expect(await noSideways(page)).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'phone-kill.png') });
    expect((await ok(ts, 'GET', '/api/flags/reply-drafts-with-a-long-key', ['viewer', 'v'])).killed).toBe(true);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await row.getByText('Killed', { exact: true }).waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the flag page fits the phone too, with its kill switch in reach', async () => {
    const { page, errors } = await signIn(browser, ts, 'oncall', 'omar', '#/flags/checkout-v2', PHONE);
    const kill = page.getByRole('button', { name: 'Kill switch' });
    await kill.waitFor();
    expect(await withinWidth(page, await kill.boundingBox())).toBe(true);
    expect(await noSideways(page)).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'phone-flag-page.png') });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('every route change sets the page title and moves focus to the main heading', async () => {
    const { page, errors } = await signIn(browser, ts, 'viewer', 'vera', '#/flags', PHONE);
    await expect.poll(() => page.title()).toBe('Flags · Switchyard');
    await page.getByRole('link', { name: 'checkout-v2' }).click();
    await expect.poll(() => page.title()).toBe('checkout-v2 · Switchyard');
    await expect.poll(() => focused(page)).toEqual({ tag: 'h1', text: 'checkout-v2' });
    expect(await noSideways(page)).toBe(true);

    await page.getByRole('link', { name: 'Audit trail' }).click();
    await expect.poll(() => page.title()).toBe('Audit trail · Switchyard');
    await expect.poll(() => focused(page)).toEqual({ tag: 'h1', text: 'Audit trail' });
    expect(await noSideways(page)).toBe(true);

    await page.getByRole('link', { name: 'SDK keys' }).click();
    await expect.poll(() => page.title()).toBe('SDK keys · Switchyard');
    await expect.poll(() => focused(page)).toEqual({ tag: 'h1', text: 'SDK keys' });

    await page.goBack();
    await expect.poll(() => page.title()).toBe('Audit trail · Switchyard');
    await page.getByRole('link', { name: 'Flags', exact: true }).click();
    await expect.poll(() => page.title()).toBe('Flags · Switchyard');
    await expect.poll(() => focused(page)).toEqual({ tag: 'h1', text: 'Flags' });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
