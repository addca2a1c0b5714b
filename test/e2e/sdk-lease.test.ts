/**
 * The fail-safe lease in the browser build: Chromium loads the built SDK bundle (dist/sdk, as an
 * app's bundler would ship it) from a page on the proxy's origin, connects through the proxy
 * with the browser's own WebSocket, and the test cuts the path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Client, createClient } from '../../sdk/src/index.js';
import { createFlag, type TestServer } from '../helpers/server.js';
import { issueSdkKey, startProxy, type Proxy } from '../helpers/push-client.js';
import { putPlan, signAndAdvance } from '../rollout-fixtures.js';
import { describeInBrowser } from './browser.js';

const SDK_DIST = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'dist', 'sdk');

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
   * (served to it under /lease-test/ from dist/sdk) and starts a client with the browser's WebSocket.
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
    await page.addScriptTag({ type: 'module', content: "import { createClient } from '/lease-test/index.js'; window.createClient = createClient;" });
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
      expect(cut.stale!.message).toMatch(/browser-risky \(lease 2 s\) serves its off value/);

      proxy.blackhole = false;
      proxy.cut();
      await page.waitForFunction(() => (window as unknown as Window).client.status === 'ready', undefined, { timeout: 15_000 });
      expect(await read()).toMatchObject({ status: 'ready', stale: null, risky: 'v2', calm: 'v2', reason: 'ROLLOUT_IN' });
    } finally {
      await page.evaluate(() => (window as unknown as Window).client?.close()).catch(() => {});
      await page.context().close();
    }
  });
});
