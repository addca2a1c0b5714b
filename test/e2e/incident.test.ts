import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { createClient, type Client } from '@switchyard-flags/sdk/node';
import { createFlag, type TestServer } from '../helpers/server.js';
import { describeInBrowser, signIn } from './browser.js';
import { ok } from './seed.js';


describeInBrowser('admin UI: incidents (kill by tag)', (suite) => {
  let ts: TestServer;
  let browser: Browser;
  const clients: Client[] = [];

  beforeAll(async () => {
    ({ ts, browser } = suite);
    await createFlag(ts, 'chat-summary', { tags: ['ai', 'provider-x'] });
    await createFlag(ts, 'smart-reply', { tags: ['provider-x'] });
    await createFlag(ts, 'old-prompt', { tags: ['provider-x'] });
    await createFlag(ts, 'checkout-v2', { tags: ['payments'] });
    await ok(ts, 'POST', '/api/flags/old-prompt/kill', ['oncall', 'olga'], { reason: 'retired prompt' });
    // Two applications are connected: the dialogs say how far each kill and restore reached them.
    const key = await ok(ts, 'POST', '/api/sdk-keys', ['admin', 'root'], { name: 'e2e apps' });
    for (let i = 0; i < 2; i++) {
      const c = createClient({ url: ts.url, sdkKey: key.key, WebSocket: WebSocket as never });
      clients.push(c);
      expect(await c.ready({ timeoutMs: 5000 })).toBe(true);
    }
  });

  afterAll(async () => {
    for (const c of clients) c.close();
  });

  const names = (items: string[]) => items.map((t) => t.trim().split(/\s/)[0]).sort();

  it('on-call kills every flag with a tag from the list, sees which were killed, and restores them', async () => {
    const { page, errors } = await signIn(browser, ts, 'oncall', 'olga');
    await page.locator('tr[data-flag="checkout-v2"]').waitFor();
    await page.getByRole('button', { name: 'Kill by tag…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Kill every flag with a tag' });
    await dialog.getByLabel('Tag').selectOption('provider-x');
    // Before confirming: which flags the kill will change, and which are already killed.
    const willKill = dialog.getByRole('list', { name: 'Will be killed' }).getByRole('listitem');
    await expect.poll(async () => names(await willKill.allTextContents())).toEqual(['chat-summary', 'smart-reply']);
    expect(names(await dialog.getByRole('list', { name: 'Already killed, unchanged' }).getByRole('listitem').allTextContents())).toEqual(['old-prompt']);

    const submit = dialog.getByRole('button', { name: 'Kill flags with this tag' });
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('provider-x outage, INC-2240');
    expect(await submit.isDisabled()).toBe(true);
    await dialog.getByRole('checkbox').check();
    await submit.click();

    await dialog.getByText('Killed 2 flags: every user now gets their off values.').waitFor();
    const killed = await dialog.getByRole('list', { name: 'Killed', exact: true }).getByRole('listitem').allTextContents();
    expect(names(killed)).toEqual(['chat-summary', 'smart-reply']);
    // Each flag's kill, and all of them together, reached both connected SDKs before the answer.
    for (const item of killed) expect(item).toContain('Reached 2 of 2 connected SDKs');
    await dialog.getByText('Every killed flag: Reached 2 of 2 connected SDKs', { exact: false }).waitFor();
    for (const c of clients) expect(c.isEnabled('smart-reply', { key: 'u1' })).toBe(false);
    expect(clients.every((c) => c.evaluate('chat-summary', { key: 'u1' }).reason === 'KILLED')).toBe(true);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.locator('tr[data-flag="smart-reply"]').getByText('Killed', { exact: true }).waitFor();
    const state = async () => Object.fromEntries(((await ok(ts, 'GET', '/api/flags', ['viewer', 'v'])).flags as Array<{ key: string; killed: boolean }>).map((f) => [f.key, f.killed]));
    expect(await state()).toEqual({ 'chat-summary': true, 'smart-reply': true, 'old-prompt': true, 'checkout-v2': false });

    await page.getByRole('button', { name: 'Restore by tag…' }).click();
    const restore = page.getByRole('dialog', { name: 'Restore every flag with a tag' });
    await restore.getByLabel('Tag').selectOption('provider-x');
    const willRestore = restore.getByRole('list', { name: 'Will be restored' }).getByRole('listitem');
    await expect.poll(async () => names(await willRestore.allTextContents())).toEqual(['chat-summary', 'old-prompt', 'smart-reply']);
    await restore.getByText('killed by olga: “provider-x outage, INC-2240”', { exact: false }).first().waitFor();
    await restore.getByLabel('Reason (recorded in the audit trail)').fill('provider-x is back');
    await restore.getByRole('checkbox').check();
    await restore.getByRole('button', { name: 'Restore flags with this tag' }).click();
    await restore.getByText('Restored 3 flags.').waitFor();
    await restore.getByText('Every restored flag: Reached 2 of 2 connected SDKs', { exact: false }).waitFor();
    for (const item of await restore.getByRole('list', { name: 'Restored', exact: true }).getByRole('listitem').allTextContents()) {
      expect(item).toContain('Reached 2 of 2 connected SDKs');
    }
    await restore.getByRole('button', { name: 'Done' }).click();
    await page.locator('tr[data-flag="smart-reply"]').getByText('Not started', { exact: true }).first().waitFor();
    expect(Object.values(await state()).every((killed) => killed === false)).toBe(true);

    // Kill all lists every flag it would kill; cancelling changes nothing.
    await page.getByRole('button', { name: 'Kill all…' }).click();
    const killAll = page.getByRole('dialog', { name: 'Kill all flags' });
    const all = killAll.getByRole('list', { name: 'Will be killed' }).getByRole('listitem');
    await expect.poll(async () => names(await all.allTextContents())).toEqual(['chat-summary', 'checkout-v2', 'old-prompt', 'smart-reply']);
    await killAll.getByRole('button', { name: 'Cancel' }).click();
    await killAll.waitFor({ state: 'hidden' });
    expect(Object.values(await state()).every((killed) => killed === false)).toBe(true);

    const audit = await ok(ts, 'GET', '/api/audit?action=flag.kill&actor=olga', ['viewer', 'v']);
    expect(audit.entries.filter((e: { reason: string }) => e.reason === 'provider-x outage, INC-2240').map((e: { flag: string }) => e.flag).sort())
      .toEqual(['chat-summary', 'smart-reply']);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('on-call undoes exactly one kill from its result: the flag killed before it for cost stays killed', async () => {
    await createFlag(ts, 'summary-v2', { tags: ['llm'] });
    await createFlag(ts, 'draft-reply', { tags: ['llm'] });
    await ok(ts, 'POST', '/api/flags/summary-v2/kill', ['oncall', 'olga'], { reason: 'cost spike: $180/h' });
    const { page, errors } = await signIn(browser, ts, 'oncall', 'olga');
    await page.locator('tr[data-flag="draft-reply"]').waitFor();

    // The restore-by-tag dialog says that it restores everything in scope, and where to undo one kill.
    await page.getByRole('button', { name: 'Restore by tag…' }).click();
    const byTag = page.getByRole('dialog', { name: 'Restore every flag with a tag' });
    await byTag.getByText('To restore just the flags of one kill, use “Undo this kill”', { exact: false }).waitFor();
    await byTag.getByRole('button', { name: 'Cancel' }).click();
    await byTag.waitFor({ state: 'hidden' });

    await page.getByRole('button', { name: 'Kill by tag…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Kill every flag with a tag' });
    await dialog.getByLabel('Tag').selectOption('llm');
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('provider outage, INC-2250');
    await dialog.getByRole('checkbox').check();
    await dialog.getByRole('button', { name: 'Kill flags with this tag' }).click();
    await dialog.getByText('Killed 1 flag: every user now gets their off values.').waitFor();

    await dialog.getByRole('button', { name: 'Undo this kill' }).click();
    const undo = page.getByRole('dialog', { name: 'Undo this kill' });
    expect(names(await undo.getByRole('list', { name: 'Killed by this kill' }).getByRole('listitem').allTextContents())).toEqual(['draft-reply']);
    const submit = undo.getByRole('button', { name: 'Restore the flags of this kill' });
    await undo.getByRole('checkbox').check();
    await submit.click();
    await undo.getByText('Reason (recorded in the audit trail) is required.').waitFor();
    await undo.getByLabel('Reason (recorded in the audit trail)').fill('provider recovered');
    await submit.click();
    await undo.getByText('Restored 1 flag of this kill.').waitFor();
    const restored = await undo.getByRole('list', { name: 'Restored', exact: true }).getByRole('listitem').allTextContents();
    expect(names(restored)).toEqual(['draft-reply']);
    expect(restored[0]).toContain('Reached 2 of 2 connected SDKs');
    await undo.getByRole('button', { name: 'Done' }).click();
    await undo.waitFor({ state: 'hidden' });

    expect(await ok(ts, 'GET', '/api/flags/draft-reply', ['viewer', 'v'])).toMatchObject({ killed: false, killId: null });
    expect(await ok(ts, 'GET', '/api/flags/summary-v2', ['viewer', 'v'])).toMatchObject({ killed: true, killReason: 'cost spike: $180/h' });
    for (const c of clients) expect(c.evaluate('summary-v2', { key: 'u1' }).reason).toBe('KILLED');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a viewer sees kill by tag and kill all disabled, with the reason', async () => {
    const { page, errors } = await signIn(browser, ts, 'viewer', 'vera');
    await page.locator('tr[data-flag="checkout-v2"]').waitFor();
    for (const name of ['Kill by tag…', 'Kill all…', 'Restore by tag…', 'Restore all…']) {
      expect(await page.getByRole('button', { name, exact: true }).isDisabled(), name).toBe(true);
    }
    const why = page.locator('#bulk-why');
    expect(await why.textContent()).toBe('Your role (viewer) cannot kill or restore flags; it needs admin, pm, engineer or oncall.');
    expect(await page.getByRole('button', { name: 'Kill by tag…' }).getAttribute('aria-describedby')).toBe('bulk-why');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
