import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { createClient, type Client } from '@switchyard-flags/sdk/node';
import { createFlag, startTestServer, type TestServer } from '../helpers/server.js';
import { describeInBrowser, signIn } from './browser.js';
import { ok } from './seed.js';


describeInBrowser('admin UI: operations', (suite) => {
  let ts: TestServer;
  let browser: Browser;
  const clients: Client[] = [];

  beforeAll(async () => {
    ({ ts, browser } = suite);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
  });

  it('on-call kills a flag with a reason and sees how many SDKs acknowledged it', async () => {
    await createFlag(ts, 'support-draft', { description: 'AI-drafted replies', on: true, off: false });
    const key = await ok(ts, 'POST', '/api/sdk-keys', ['admin', 'root'], { name: 'e2e apps' });
    for (let i = 0; i < 3; i++) {
      const c = createClient({ url: ts.url, sdkKey: key.key, WebSocket: WebSocket as never });
      clients.push(c);
      expect(await c.ready({ timeoutMs: 5000 })).toBe(true);
    }
    await ts.api('GET', '/api/flags', { as: 'viewer' });

    const { page, errors } = await signIn(browser, ts, 'oncall', 'olga');
    const opener = page.getByRole('button', { name: 'Kill switch for support-draft' });
    await opener.click();
    const dialog = page.getByRole('dialog', { name: 'Kill support-draft' });
    await dialog.waitFor();
    const submit = dialog.getByRole('button', { name: 'Kill flag' });
    expect(await submit.isDisabled()).toBe(true);
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('drafts quote wrong refund amounts, INC-2231');
    expect(await submit.isDisabled()).toBe(true);
    await dialog.getByRole('checkbox').check();
    await submit.click();

    await dialog.getByText('Reached 3 of 3 connected SDKs in', { exact: false }).waitFor();
    await dialog.getByText('support-draft is killed: every user now gets the off value.').waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden' });
    // Focus returns to the control that opened the dialog: now the row's Restore button.
    await expect.poll(() => page.evaluate(() => {
      let a = document.activeElement;
      while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
      return a?.getAttribute('aria-label') ?? a?.textContent;
    })).toMatch(/support-draft/);

    await page.locator('tr[data-flag="support-draft"]').getByText('Killed', { exact: true }).waitFor();
    for (const c of clients) expect(c.isEnabled('support-draft', { key: 'u1' })).toBe(false);
    const audit = await ok(ts, 'GET', '/api/audit?flag=support-draft&action=flag.kill', ['viewer', 'v']);
    expect(audit.entries[0]).toMatchObject({ actor: 'olga', role: 'oncall', reason: 'drafts quote wrong refund amounts, INC-2231' });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the kill dialog is keyboard-operable and keeps focus inside', async () => {
    await createFlag(ts, 'reply-ranker');
    const { page } = await signIn(browser, ts, 'engineer', 'erin', '#/flags/reply-ranker');
    const kill = page.getByRole('button', { name: 'Kill switch' });
    await kill.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Kill reply-ranker' });
    await dialog.waitFor();
    const inDialog = () => page.evaluate(() => !!document.querySelector('sy-app')?.shadowRoot?.querySelector('sy-flag-page')?.shadowRoot?.querySelector('sy-action-dialog')?.shadowRoot?.activeElement);
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      expect(await inDialog()).toBe(true);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => page.evaluate(() => {
      let a = document.activeElement;
      while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
      return a?.textContent?.trim();
    })).toBe('Kill switch');
    await page.context().close();
  });

  it('the audit page shows these entries, verifies the chain and exports JSONL and CSV', async () => {
    const { page, errors } = await signIn(browser, ts, 'viewer', 'vera', '#/audit');
    await page.getByText('Chain verified:', { exact: false }).waitFor();
    const kill = page.locator('li[data-action="flag.kill"]');
    await kill.getByText('drafts quote wrong refund amounts, INC-2231', { exact: true }).waitFor();
    await kill.getByText('olga', { exact: true }).waitFor();
    await kill.getByText('1 field changed', { exact: false }).or(kill.getByText('fields changed', { exact: false })).first().click();
    await kill.getByRole('table').getByText('killed', { exact: true }).waitFor();

    await page.getByLabel('Action').fill('flag.kill');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.locator('li[data-action]').count()).toBe(1);

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(csv.suggestedFilename()).toBe('switchyard-audit.csv');
    const csvText = fs.readFileSync((await csv.path())!, 'utf8');
    expect(csvText.split('\n')[0]).toMatch(/^seq,at,actor/);
    expect(csvText).toContain('drafts quote wrong refund amounts, INC-2231');
    expect(csvText).not.toContain('flag.create');

    const [jsonl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSONL' }).click()]);
    const lines = fs.readFileSync((await jsonl.path())!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ action: 'flag.kill', actor: 'olga', flag: 'support-draft' });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('changes made by others appear without a reload', async () => {
    await createFlag(ts, 'live-list', { description: 'watched by a viewer' });
    const { page } = await signIn(browser, ts, 'viewer', 'vera');
    const row = page.locator('tr[data-flag="live-list"]');
    await row.getByText('Not started', { exact: true }).first().waitFor();
    await page.getByText('Live updates').waitFor();
    await ok(ts, 'POST', '/api/flags/live-list/kill', ['oncall', 'olga'], { reason: 'killed from curl at 3am' });
    await row.getByText('Killed', { exact: true }).waitFor();
    await page.context().close();
  });

  it('says so when the flag changed under you, and shows the latest state', async () => {
    await ok(ts, 'PUT', '/api/flags/live-list/plan', ['pm', 'pm-alice'], {});
    const { page } = await signIn(browser, ts, 'pm', 'pm-bob', '#/flags/live-list');
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Pause the rollout of live-list' });
    await dialog.getByLabel('Reason').fill('holding for the release freeze');
    const flag = await ok(ts, 'GET', '/api/flags/live-list', ['viewer', 'v']);
    await ok(ts, 'PATCH', '/api/flags/live-list', ['engineer', 'erin'], { version: flag.version, description: 'edited meanwhile' });
    await dialog.getByRole('button', { name: 'Pause rollout' }).click();
    await dialog.getByRole('alert').getByText('changed under you', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('alert').getByText('The page now shows the latest state', { exact: false }).waitFor();
    await page.getByText('edited meanwhile', { exact: true }).waitFor();
    expect((await ok(ts, 'GET', '/api/flags/live-list', ['viewer', 'v'])).paused).toBe(false);
    await page.context().close();
  });

  it('shows an offline banner when the server stops, and recovers when it is back', async () => {
    const { page } = await signIn(browser, ts, 'viewer', 'vera');
    await page.getByRole('link', { name: 'support-draft' }).waitFor();
    await page.getByText('Live updates').waitFor();
    const port = ts.running.port;
    await ts.stop();
    const banner = page.getByTestId('offline-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('Offline: the server is unreachable');

    // The suite closes whatever server it holds at the end: hand it the restarted one.
    suite.ts = ts = await startTestServer({ dataDir: ts.dataDir, config: { port } });
    await page.getByRole('button', { name: 'Retry now' }).click();
    await banner.waitFor({ state: 'hidden' });
    await page.getByRole('link', { name: 'support-draft' }).waitFor();
    await page.context().close();
  });
});
