/**
 * The fail-safe lease in a browser (the local evaluator, `@switchyard-flags/sdk/local`: the lease
 * is a flag state's, which only a server key gets): Chromium loads the built SDK (sdk/dist, as an
 * app's bundler would ship it) from a page on the proxy's origin, connects through the proxy
 * with the browser's own WebSocket, and the test cuts the path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Client, createClient } from '@switchyard-flags/sdk/local';
import { createFlag, type TestServer } from '../helpers/server.js';
import { issueSdkKey, startProxy, type Proxy } from '../helpers/push-client.js';
import { putPlan, signAndAdvance } from '../rollout-fixtures.js';
import { describeInBrowser, signIn } from './browser.js';
import { ok } from './seed.js';

const SDK_DIST = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'sdk', 'dist');

type Window = { client: Client; createClient: typeof createClient };

describeInBrowser('the SDK browser build: fail-safe lease', (suite) => {
  let ts: TestServer;
  let browser: Browser;
  let proxy: Proxy;
  let sdkKey: string;

  beforeAll(async () => {
    ({ ts, browser } = suite);
    proxy = await startProxy(ts.running.port);
    sdkKey = (await issueSdkKey(ts)).key;
    await createFlag(ts, 'browser-risky', { on: 'v2', off: 'v1', maxStaleSeconds: 2 });
    await createFlag(ts, 'browser-calm', { on: 'v2', off: 'v1' });
    for (const key of ['browser-risky', 'browser-calm']) {
      expect((await putPlan(ts, key, { stages: [{ percent: 100 }] })).status).toBe(200);
      await signAndAdvance(ts, key);
    }
  });
  afterAll(async () => {
    await proxy?.close();
  });

  /**
   * A page of the server's own origin, reached through the proxy (a real loopback document, so
   * Chromium's local-network checks let it dial the proxy), that imports the built SDK files
   * (served to it under /lease-test/ from sdk/dist) and starts a client with the browser's WebSocket.
   */
  async function sdkPage(): Promise<Page> {
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.route(`${proxy.url}/lease-test/**`, (route) => {
      const file = path.join(SDK_DIST, path.basename(new URL(route.request().url()).pathname));
      if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: 'no such file' });
      return route.fulfill({ contentType: 'text/javascript', body: fs.readFileSync(file, 'utf8') });
    });
    await page.goto(`${proxy.url}/`);
    await page.addScriptTag({ type: 'module', content: "import { createClient } from '/lease-test/local.js'; window.createClient = createClient;" });
    await page.waitForFunction(() => typeof (window as unknown as Window).createClient === 'function');
    return page;
  }

  it('a browser app cut off from the server serves a leased flag its off value with status stale naming it, and the on value again once it hears', async () => {
    const page = await sdkPage();
    try {
      const started = await page.evaluate(async (sdkKey) => {
        const client = (window as unknown as Window).createClient({ url: location.origin, sdkKey, telemetryIntervalMs: 0, reconnect: { initialMs: 50, maxMs: 100 } });
        (window as unknown as Window).client = client;
        return client.ready({ timeoutMs: 10_000 });
      }, sdkKey);
      expect(started).toBe(true);
      const read = () =>
        page.evaluate(() => {
          const c = (window as unknown as Window).client;
          return { status: c.status, stale: c.stale, risky: c.value('browser-risky', { key: 'u1' }, 'fb'), calm: c.value('browser-calm', { key: 'u1' }, 'fb'), reason: c.evaluate('browser-risky', { key: 'u1' }).reason };
        });
      expect(await read()).toMatchObject({ status: 'ready', stale: null, risky: 'v2', calm: 'v2', reason: 'ROLLOUT_IN' });

      proxy.blackhole = true;
      proxy.cut();
      await page.waitForFunction(() => !!(window as unknown as Window).client.stale?.flags.includes('browser-risky'), undefined, { timeout: 15_000 });
      const cut = await read();
      expect(cut).toMatchObject({ status: 'stale', risky: 'v1', calm: 'v2', reason: 'STALE' });
      expect(cut.stale).toMatchObject({ reason: 'lease_lapsed', flags: ['browser-risky'] });
      expect(cut.stale!.message).toMatch(/^browser-risky off \(lease lapsed\): no word from the server for \d+ s$/);

      proxy.blackhole = false;
      proxy.cut();
      await page.waitForFunction(() => (window as unknown as Window).client.status === 'ready', undefined, { timeout: 15_000 });
      expect(await read()).toMatchObject({ status: 'ready', stale: null, risky: 'v2', calm: 'v2', reason: 'ROLLOUT_IN' });
    } finally {
      await page.evaluate(() => (window as unknown as Window).client?.close()).catch(() => {});
      await page.context().close();
    }
  });

  it('an engineer sets, and clears, a flag\'s fail-safe lease in the edit dialog; the details say it in words', async () => {
    await createFlag(ts, 'lease-edit');
    const { page, errors } = await signIn(browser, ts, 'engineer', 'erin', '#/flags/lease-edit');
    const details = page.locator('sy-flag-details');
    await details.getByText('none (last-known value forever)').waitFor();
    await page.getByRole('button', { name: 'Edit details…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit lease-edit' });
    const lease = dialog.getByLabel('Fail-safe lease', { exact: false });
    await lease.fill('5 min');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.getByText('a whole number of seconds, or empty for no lease').waitFor();
    await lease.fill('0'); // the server refuses it, and the error sits next to the field
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.getByText('maxStaleSeconds must be at least 1', { exact: false }).first().waitFor();
    expect(await lease.getAttribute('aria-invalid')).toBe('true');
    await lease.fill('300');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await details.getByText('off after 5m without the server').waitFor();
    expect((await ok(ts, 'GET', '/api/flags/lease-edit', ['viewer', 'v'])).maxStaleSeconds).toBe(300);
    const audit = await ok(ts, 'GET', '/api/audit?flag=lease-edit&action=flag.update', ['viewer', 'v']);
    expect(audit.entries.map((e: { actor: string; after: { maxStaleSeconds: number | null } }) => [e.actor, e.after.maxStaleSeconds])).toEqual([['erin', 300]]);

    await page.getByRole('button', { name: 'Edit details…' }).click();
    await lease.fill('');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await details.getByText('none (last-known value forever)').waitFor();
    expect((await ok(ts, 'GET', '/api/flags/lease-edit', ['viewer', 'v'])).maxStaleSeconds).toBeNull();
    expect(errors).toEqual([]);
    await page.context().close();
  });
}, { heartbeatMs: 500 }); // a 2 s lease must outlast two heartbeats (issue 20 #8)
