import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Locator } from 'playwright-core';
import WebSocket from 'ws';
import { murmur3, saltSeed } from '@switchyard-flags/sdk/bucket';
import { REACH_REGISTERS } from '@switchyard-flags/sdk/protocol';
import { createClient, type Client } from '@switchyard-flags/sdk/node';
import { addHash, estimateReach } from '@switchyard-flags/sdk/reach';
import { createFlag, type TestServer } from '../helpers/server.js';
import { describeInBrowser, signIn } from './browser.js';
import { ok, signOff } from './seed.js';

const WAIT = { timeout: 10_000 };
const DAY_MS = 86_400_000;

/** The counts of a Usage row: stage, evaluations, on, off, fallback (not the last-evaluated time). */
const cells = async (row: Locator) => (await row.locator('td').allInnerTexts()).slice(0, 5).map((t) => t.trim());

/** The Usage card's users figure for `keys` served on under `salt`: the sketch as docs/protocol.md ("Reach") defines it. */
function usersText(salt: string, keys: string[]): string {
  const regs = new Uint8Array(REACH_REGISTERS);
  for (const k of keys) addHash(regs, murmur3(k, saltSeed(salt)) >>> 2);
  const n = estimateReach(regs);
  return `≈ ${n.toLocaleString('en-US')} ${n === 1 ? 'user' : 'users'} (from server-side SDKs)`;
}
const usersCell = (card: Locator, stage: number) => card.locator(`tr[data-stage="${stage}"] td[data-usage="users"]`);

describeInBrowser('admin UI: evaluation usage and stale flags', (suite) => {
  let ts: TestServer;
  let browser: Browser;
  const clients: Client[] = [];

  beforeAll(async () => {
    ({ ts, browser } = suite);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
  });

  /** Resolves when the server's usage of `key` has reached `n` evaluations (SDKs report every 200 ms). */
  const usageReaches = (key: string, n: number) =>
    expect.poll(async () => (await ok(ts, 'GET', `/api/flags/${key}/usage`, ['viewer', 'v'])).evaluations, WAIT).toBe(n);

  it('the Usage card sums the evaluations two SDKs served, per stage, and refreshes when the flag changes', async () => {
    await createFlag(ts, 'reply-drafts', { description: 'AI-drafted replies', on: true, off: false });
    await ok(ts, 'PUT', '/api/flags/reply-drafts/plan', ['pm', 'pm-alice'], {
      cohort: [{ attr: 'plan', op: 'in', values: ['pro'] }],
      stages: [{ percent: 100, signoffs: 1 }],
    });
    const sdkKey = (await ok(ts, 'POST', '/api/sdk-keys', ['admin', 'root'], { name: 'usage e2e' })).key as string;
    const [a, b] = [0, 1].map(() => createClient({ url: ts.url, sdkKey, WebSocket: WebSocket as never, telemetryIntervalMs: 200 }));
    clients.push(a!, b!);
    for (const c of clients) expect(await c.ready({ timeoutMs: 5000 })).toBe(true);

    // Stage 0 (not started): 3 evaluations, all off.
    for (let i = 0; i < 3; i++) expect(a!.isEnabled('reply-drafts', { key: `a${i}`, plan: 'pro' })).toBe(false);

    const changed = clients.map((c) => new Promise<void>((resolve) => { const off = c.on('change', (e) => { if (e.key === 'reply-drafts') { off(); resolve(); } }); }));
    await signOff(ts, 'reply-drafts', ['pm', 'pm-bob'], 'read the drafts, good to go');
    await ok(ts, 'POST', '/api/flags/reply-drafts/advance', ['pm', 'pm-alice'], { reason: 'start the rollout' });
    await Promise.all(changed);

    // Stage 1 (100% of pro): a serves on 5 times; b serves on 3, off 4 (outside the cohort), fallback 2 (another type).
    for (let i = 0; i < 5; i++) expect(a!.isEnabled('reply-drafts', { key: `a${i}`, plan: 'pro' })).toBe(true);
    for (let i = 0; i < 3; i++) expect(b!.isEnabled('reply-drafts', { key: `b${i}`, plan: 'pro' })).toBe(true);
    for (let i = 0; i < 4; i++) expect(b!.isEnabled('reply-drafts', { key: `f${i}`, plan: 'free' })).toBe(false);
    for (let i = 0; i < 2; i++) expect(b!.value('reply-drafts', { key: `b${i}`, plan: 'pro' }, 'v1')).toBe('v1');
    await usageReaches('reply-drafts', 17);

    const { page, errors } = await signIn(browser, ts, 'viewer', 'vera', '#/flags/reply-drafts');
    const card = page.locator('sy-flag-usage');
    await card.getByRole('heading', { name: 'Usage' }).waitFor(WAIT);
    await card.getByText('These count evaluations, not distinct users', { exact: false }).waitFor(WAIT);
    await card.getByText('17 evaluations', { exact: true }).waitFor(WAIT);
    // Stage, evaluations, on, off, fallback, last evaluated.
    expect(await cells(card.locator('tr[data-stage="0"]'))).toEqual(['Not started', '3', '0', '3', '0']);
    expect(await cells(card.locator('tr[data-stage="1"]'))).toEqual(['Stage 1 · 100% (current)', '14', '8', '4', '2']);
    // Distinct users served on (the Node SDK reports them): a0..a4 and b0..b2; none at stage 0.
    const salt = a!.snapshot().flags.find((f) => f.key === 'reply-drafts')!.salt;
    const servedOn = ['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2'];
    expect((await usersCell(card, 1).innerText()).trim()).toBe(usersText(salt, servedOn));
    expect((await usersCell(card, 0).innerText()).trim()).toBe('—');
    await card.getByText('These count evaluations, not distinct users', { exact: false }).waitFor(WAIT);

    // More evaluations arrive; an edit of the flag (pushed over the admin stream) makes the card read them.
    for (let i = 0; i < 6; i++) a!.isEnabled('reply-drafts', { key: `c${i}`, plan: 'pro' });
    await usageReaches('reply-drafts', 23);
    const flag = await ok(ts, 'GET', '/api/flags/reply-drafts', ['viewer', 'v']);
    await ok(ts, 'PATCH', '/api/flags/reply-drafts', ['engineer', 'erin'], { version: flag.version, description: 'AI-drafted replies (v2 prompt)' });
    await card.getByText('23 evaluations', { exact: true }).waitFor(WAIT);
    await expect.poll(() => cells(card.locator('tr[data-stage="1"]')), WAIT).toEqual(['Stage 1 · 100% (current)', '20', '14', '4', '2']);
    const moreOn = [...servedOn, 'c0', 'c1', 'c2', 'c3', 'c4', 'c5'];
    await expect.poll(async () => (await usersCell(card, 1).innerText()).trim(), WAIT).toBe(usersText(salt, moreOn));

    // The window: today's evaluations are all of them.
    await card.getByLabel('Usage window').selectOption('7');
    await card.getByText('in the last 7 days', { exact: false }).waitFor(WAIT);
    await card.getByText('23 evaluations', { exact: true }).waitFor(WAIT);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the Usage card re-reads the counts every 30 seconds while the page is open', async () => {
    const { page, errors } = await signIn(browser, ts, 'viewer', 'vera');
    await page.clock.install(); // the page's timers, under the test's control
    await page.evaluate(() => (location.hash = '#/flags/reply-drafts'));
    const card = page.locator('sy-flag-usage');
    await card.getByText('23 evaluations', { exact: true }).waitFor(WAIT);

    for (let i = 0; i < 4; i++) clients[1]!.isEnabled('reply-drafts', { key: `d${i}`, plan: 'free' });
    await usageReaches('reply-drafts', 27);
    await page.clock.fastForward(30_000);
    await card.getByText('27 evaluations', { exact: true }).waitFor(WAIT);
    await expect.poll(() => cells(card.locator('tr[data-stage="1"]')), WAIT).toEqual(['Stage 1 · 100% (current)', '24', '14', '8', '2']);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a flag nobody evaluated says so, and the list marks flags not evaluated for 30 days as stale', async () => {
    await createFlag(ts, 'legacy-banner', { description: 'old banner, never wired up' });
    await createFlag(ts, 'old-prompt', { description: 'prompt v1, replaced' });
    await createFlag(ts, 'fresh-idea', { description: 'created today, not evaluated yet' });
    // Age them in the database itself: created 40 days ago; old-prompt last evaluated 35 days ago.
    const { db } = ts.running.storage;
    const daysAgo = (d: number) => new Date(Date.now() - d * DAY_MS).toISOString();
    await db.updateTable('flags').set({ created_at: daysAgo(40) }).where('key', 'in', ['legacy-banner', 'old-prompt']).execute();
    await db.insertInto('flag_usage').values({ environment: 'production', flag: 'old-prompt', stage: 0, variant: 'off', day: daysAgo(35).slice(0, 10), count: 12, last_seen_at: daysAgo(35) }).execute();
    const stale = await ok(ts, 'GET', '/api/stale-flags?days=30', ['viewer', 'v']);
    expect(stale.flags.map((f: { key: string }) => f.key)).toEqual(['legacy-banner', 'old-prompt']);

    const { page, errors } = await signIn(browser, ts, 'viewer', 'vera', '#/flags/fresh-idea');
    await page.locator('sy-flag-usage').getByText('Never evaluated: no SDK has reported an evaluation of this flag.').waitFor(WAIT);

    await page.evaluate(() => (location.hash = '#/flags'));
    const badge = (key: string) => page.locator(`tr[data-flag="${key}"]`).getByText('Stale: not evaluated for 30 days', { exact: true });
    await badge('legacy-banner').waitFor(WAIT);
    await badge('old-prompt').waitFor(WAIT);
    expect(await badge('old-prompt').getAttribute('title')).toMatch(/^Last evaluated /);
    expect(await badge('legacy-banner').getAttribute('title')).toMatch(/^Never evaluated since it was created /);
    for (const key of ['reply-drafts', 'fresh-idea']) expect(await badge(key).count()).toBe(0);

    await page.getByLabel('State').selectOption('stale');
    await expect.poll(() => page.locator('tr[data-flag]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-flag'))), WAIT).toEqual([
      'legacy-banner',
      'old-prompt',
    ]);
    await page.getByText('2 of 4 shown').waitFor(WAIT);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
