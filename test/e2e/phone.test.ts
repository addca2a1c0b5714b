import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import WebSocket from 'ws';
import { createClient } from '@switchyard-flags/sdk/node';
import { createFlag, type TestServer } from '../helpers/server.js';
import { axeViolations } from './axe.js';
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

/**
 * A region that scrolls can be reached and scrolled by keyboard: axe's scrollable-region-focusable
 * (a serious violation: recent Chromium focuses any scroller, other browsers do not) finds nothing,
 * and after focusing it `key` scrolls it.
 */
async function keyboardScrolls(page: Page, region: Locator, key: string, axis: 'scrollLeft' | 'scrollTop'): Promise<void> {
  expect(await region.evaluate((el) => el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight)).toBe(true);
  expect((await axeViolations(page, ['scrollable-region-focusable'])).join('\n')).toBe('');
  await region.focus();
  await page.keyboard.press(key);
  await expect.poll(() => region.evaluate((el, a) => el[a], axis)).toBeGreaterThan(0);
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

  it("the SDK keys page fits the phone: every key's status and its Revoke button in view, no sideways scroll", async () => {
    await ok(ts, 'POST', '/api/sdk-keys', ['admin', 'root'], { name: 'support-inbox-backend (production, eu-west-1)' });
    const gone = await ok(ts, 'POST', '/api/sdk-keys', ['admin', 'root'], { name: 'checkout-web (staging)', kind: 'client' });
    await ok(ts, 'POST', `/api/sdk-keys/${gone.id}/revoke`, ['admin', 'root'], { reason: 'staging retired' });
    const { page, errors } = await signIn(browser, ts, 'admin', 'ada', '#/keys', PHONE);
    const rows = page.locator('tr[data-key]');
    await rows.nth(1).waitFor();
    expect(await noSideways(page)).toBe(true);
    for (const row of await rows.all()) {
      const status = row.getByText(/^(Active|Revoked)$/);
      await status.scrollIntoViewIfNeeded();
      expect(await withinWidth(page, await status.boundingBox())).toBe(true);
    }
    const revoke = page.getByRole('button', { name: 'Revoke support-inbox-backend (production, eu-west-1)' });
    await revoke.scrollIntoViewIfNeeded();
    expect(await withinWidth(page, await revoke.boundingBox())).toBe(true);
    expect(await page.evaluate(() => window.scrollX)).toBe(0);
    await page.evaluate(() => window.scrollTo(0, document.scrollingElement!.scrollHeight));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'phone-sdk-keys.png') });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("a keyboard scrolls the usage table sideways on a phone: axe finds its scrolling region focusable", async () => {
    await createFlag(ts, 'usage-on-phone', { on: true, off: false });
    const sdkKey = (await ok(ts, 'POST', '/api/sdk-keys', ['admin', 'root'], { name: 'usage on a phone' })).key as string;
    const client = createClient({ url: ts.url, sdkKey, WebSocket: WebSocket as never, telemetryIntervalMs: 200 });
    try {
      expect(await client.ready({ timeoutMs: 5000 })).toBe(true);
      for (let i = 0; i < 3; i++) client.isEnabled('usage-on-phone', { key: `u${i}` });
      await expect.poll(async () => (await ok(ts, 'GET', '/api/flags/usage-on-phone/usage', ['viewer', 'v'])).evaluations, { timeout: 10_000 }).toBe(3);
    } finally {
      client.close();
    }
    const { page, errors } = await signIn(browser, ts, 'viewer', 'vera', '#/flags/usage-on-phone', PHONE);
    const region = page.locator('sy-flag-usage table').locator('xpath=..');
    await region.waitFor();
    await keyboardScrolls(page, region, 'ArrowRight', 'scrollLeft');
    expect(await noSideways(page)).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("a keyboard scrolls the “Kill all” dialog's list of flags: axe finds the list focusable", async () => {
    for (let i = 1; i <= 12; i++) await createFlag(ts, `support-macro-${String(i).padStart(2, '0')}`, { tags: ['support'] });
    const { page, errors } = await signIn(browser, ts, 'oncall', 'otto', '#/flags', PHONE);
    await page.locator('tr[data-flag="support-macro-12"]').waitFor();
    await page.getByRole('button', { name: 'Kill all…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Kill all flags' });
    const list = dialog.getByRole('list', { name: 'Will be killed' });
    await list.waitFor();
    await keyboardScrolls(page, list, 'End', 'scrollTop');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
