import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { signInHeadless, type TestProvider } from '../helpers/oidc-provider.js';
import { startWithProvider } from '../helpers/oidc.js';
import type { TestServer } from '../helpers/server.js';
import { browserOrSkip, buildUi, INSTALL_HINT, launch } from './browser.js';
import { aggregates, flagWithPlan, ok } from './seed.js';
import { axeViolations } from './axe.js';

// Issue 24 in Chromium: "Sign in with <issuer>", the provider's own login page, back in the UI as the mapped role.

const { executable, mustFail } = browserOrSkip();

describe.runIf(mustFail)('sign-in with the identity provider: browser tests in CI', () => {
  it('need a Chromium browser', () => {
    throw new Error(`no Chromium found. ${INSTALL_HINT}`);
  });
});

describe.skipIf(!executable)('admin UI: sign in with the identity provider', () => {
  let ts: TestServer;
  let idp: TestProvider;
  let browser: Browser;
  let closeBrowser: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    await buildUi();
    ({ ts, idp } = await startWithProvider());
    const l = await launch(executable!);
    browser = l.browser;
    closeBrowser = l.close;
  });
  afterAll(async () => {
    await closeBrowser?.();
    await ts?.close();
    await idp?.stop();
  });

  it('a PM clicks "Sign in with <issuer>", signs in on the provider\'s page, comes back as a PM, advances a stage, and one sign-in serves a second tab', async () => {
    await flagWithPlan(ts, 'sso-draft', { description: 'AI-drafted replies (prompt v2)', tags: ['ai'] });
    await aggregates(ts, 'sso-draft', [['eval_score', 60, 0.86, 0.01], ['error_rate', 60, 0.004, 0.001]]);
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));

    await page.goto(`${ts.url}/#/flags/sso-draft`);
    const host = new URL(idp.issuer).host;
    await page.getByRole('link', { name: `Sign in with ${host}` }).waitFor();
    expect(await axeViolations(page), 'the sign-in page with a provider').toEqual([]);
    await page.getByRole('link', { name: `Sign in with ${host}` }).click();
    // The provider's own login page (oidc-provider's dev interactions).
    await page.waitForURL((u) => u.href.startsWith(idp.issuer));
    await page.locator('input[name="login"]').fill('pat');
    await page.locator('input[name="password"]').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();

    await page.getByText('Signed in as pat@acme.com').waitFor();
    expect(await page.locator('.role').first().textContent()).toBe('pm');
    expect(page.url()).toContain('#/flags/sso-draft');

    await page.getByRole('button', { name: 'Sign off' }).click();
    await page.getByLabel('Comment').fill('reviewed with the session');
    await page.getByRole('dialog').getByRole('button', { name: 'Sign off' }).click();
    await page.getByText('Signed off 5%.').waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    const advance = page.getByRole('button', { name: 'Advance to 5%' });
    await expect.poll(() => advance.isEnabled()).toBe(true);
    await advance.click();
    await page.getByLabel('Reason').fill('gates green');
    await page.getByRole('dialog').getByRole('button', { name: 'Advance to 5%' }).click();
    await page.getByText('sso-draft advanced to 5% of cohort.').waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    const audit = await ok(ts, 'GET', '/api/audit?flag=sso-draft&action=rollout.', ['viewer', 'v']);
    expect(audit.entries.map((e: { action: string; actor: string }) => `${e.action} ${e.actor}`)).toEqual(expect.arrayContaining(['rollout.advance pat@acme.com', 'rollout.signoff pat@acme.com']));

    const second = await context.newPage();
    await second.goto(`${ts.url}/#/flags`);
    await second.getByText('Signed in as pat@acme.com').waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.href.startsWith(idp.issuer)); // the provider's own sign-out (RP-initiated logout)
    const third = await context.newPage();
    await third.goto(`${ts.url}/#/flags`);
    await third.getByRole('link', { name: `Sign in with ${host}` }).waitFor();
    expect(await third.getByText('Signed in as').count()).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('an admin sees the role mapping in use and tests a set of claims on the SDK keys page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${ts.url}/#token=${await ts.token('admin', 'ada-token')}`);
    await page.getByText('Signed in as ada-token').waitFor();
    await page.evaluate(() => (location.hash = '#/keys'));
    const table = page.getByRole('table', { name: 'Role mapping' });
    await table.getByText('sy-admins').waitFor();
    await page.getByLabel('Claims to test (JSON)').fill('{"groups": ["everyone", "product"]}');
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'granted by product' }).filter({ hasText: 'Role pm' }).waitFor();
    expect(await axeViolations(page), 'the SDK keys page with the role mapping').toEqual([]);
    await context.close();
  });

  it('a session an admin ends sends the open UI back to the sign-in page, which says the session ended (no redirect to the provider)', async () => {
    const { session } = await signInHeadless(ts.url, 'sam');
    const context = await browser.newContext();
    await context.addCookies([{ name: 'sy_session', value: session!, url: ts.url }]);
    const page = await context.newPage();
    await page.goto(`${ts.url}/#/flags`);
    await page.getByText('Signed in as sam@acme.com').waitFor();
    const id = (await ok(ts, 'GET', '/api/sessions', ['admin', 'ada'])).sessions.find((x: { sub: string }) => x.sub === 'sam').id;
    await ok(ts, 'POST', `/api/sessions/${id}/revoke`, ['admin', 'ada']);
    await page.evaluate(() => (location.hash = '#/audit'));
    await page.getByRole('status').filter({ hasText: 'Your session has ended' }).waitFor();
    expect(page.url().startsWith(ts.url)).toBe(true);
    await page.getByRole('link', { name: `Sign in with ${new URL(idp.issuer).host}` }).waitFor();
    await context.close();
  });

  it('with the provider down, the sign-in page says so and offers the break-glass token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await idp.stop();
    await (await fetch(`${ts.url}/auth/login`, { redirect: 'manual' })).text(); // a failed attempt marks the provider unreachable
    await page.goto(`${ts.url}/`);
    await page.getByRole('alert').filter({ hasText: 'is unreachable' }).filter({ hasText: 'switchyard token --role oncall --ttl 2h' }).waitFor();
    expect(await axeViolations(page), 'the sign-in page with the provider down').toEqual([]);
    await page.getByLabel('Token').fill(await ts.token('oncall', 'breakglass'));
    await page.getByRole('button', { name: 'Sign in with the token' }).click();
    await page.getByText('Signed in as breakglass').waitFor();
    await context.close();
  });
});
