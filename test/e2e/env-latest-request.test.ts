/**
 * Issue 23 (admin UI data): the flag page fetched its six endpoints on every trigger and wrote
 * whatever answer came back last, so a slow answer for the flag you just left overwrote the one
 * you are looking at. Now a page renders only its latest request. The previous flag's answers
 * are held in the network (playwright `page.route`) until the next flag is on screen, then let
 * through; the page must still show the current flag only.
 */
import { beforeAll, expect, it } from 'vitest';
import type { Browser, Page, Request, Route } from 'playwright-core';
import { createFlag, type TestServer } from '../helpers/server.js';
import { describeInBrowser, signIn } from './browser.js';
import { flagWithPlan } from './seed.js';

/** Whether a request is one of `key`'s own reads (the flag, its rollout, usage, history). */
function readsOf(key: string, url: URL): boolean {
  if (url.pathname === '/api/audit') return url.searchParams.get('flag') === key;
  return url.pathname.startsWith(`/api/flags/${key}`) || new RegExp(`^/api/envs/[^/]+/flags/${key}(/|$)`).test(url.pathname);
}

/** Holds every read of `key` until `release()`; `settled()` resolves once each held one has reached the page (or was cancelled by it). */
async function holdReads(page: Page, key: string) {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const held = new Set<Request>();
  const over = new Set<Request>();
  const end = (r: Request) => void (held.has(r) && over.add(r));
  page.on('requestfinished', end);
  page.on('requestfailed', end);
  const matcher = (url: URL) => readsOf(key, url);
  await page.route(matcher, (route: Route) => {
    held.add(route.request());
    // A request the page gave up on cannot be continued: that is fine, it is over.
    void gate.then(() => route.continue()).catch(() => over.add(route.request()));
  });
  return {
    stop: () => page.unroute(matcher),
    count: () => held.size,
    release: () => open(),
    async settled() {
      await expect.poll(() => [...held].every((r) => over.has(r))).toBe(true);
      // Let the page handle the answers: two frames after the last one arrived.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    },
  };
}

describeInBrowser('admin UI: a page renders only its latest request', (suite) => {
  let ts: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ ts, browser } = suite);
    await flagWithPlan(ts, 'alpha-reply', { description: 'Alpha: drafts replies with the old prompt', owner: 'alpha-team@acme' });
    await createFlag(ts, 'beta-reply', { description: 'Beta: ranks replies with the new model', owner: 'beta-team@acme' });
  });

  it('a slow answer for the flag just left never replaces the flag now on screen', async () => {
    const { page, errors } = await signIn(browser, ts, 'viewer', 'vera');
    const hold = await holdReads(page, 'alpha-reply');
    await page.evaluate(() => (location.hash = '#/flags/alpha-reply'));
    await expect.poll(() => hold.count()).toBeGreaterThan(0);

    await page.evaluate(() => (location.hash = '#/flags/beta-reply'));
    const main = page.locator('main');
    await main.getByRole('heading', { level: 1, name: 'beta-reply' }).waitFor();
    await main.locator('sy-flag-header').getByText('Beta: ranks replies with the new model').waitFor();
    await main.getByText('No plan yet.').waitFor();

    hold.release();
    await hold.settled();

    expect(await main.getByRole('heading', { level: 1 }).first().textContent()).toBe('beta-reply');
    expect(await main.getByText('Alpha: drafts replies with the old prompt').count()).toBe(0);
    expect(await main.getByText('alpha-team@acme').count()).toBe(0);
    await main.getByText('No plan yet.').waitFor();
    expect(await main.getByText('beta-team@acme').count()).toBeGreaterThan(0);

    // The same locators do find the other flag once it is the one on screen.
    await hold.stop();
    await page.evaluate(() => (location.hash = '#/flags/alpha-reply'));
    await main.locator('sy-flag-header').getByText('Alpha: drafts replies with the old prompt').waitFor();
    expect(await main.getByText('No plan yet.').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
