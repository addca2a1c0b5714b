/**
 * Issue 20 finding 11: the kill result hid browser apps. The API reports OFREP event streams
 * apart (`propagation.ofrep`, they acknowledge nothing), and the dialog said only "Reached 2 of 2
 * connected SDKs". Now it counts and names them beside the websocket SDKs.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { createClient, type Client } from '@switchyard-flags/sdk/node';
import { createFlag, type TestServer } from '../helpers/server.js';
import { describeInBrowser, signIn } from './browser.js';
import { ok } from './seed.js';

describeInBrowser('admin UI: a kill says how far it reached, SDKs and browser apps', (suite) => {
  let ts: TestServer;
  let browser: Browser;
  const clients: Client[] = [];
  const streams = new AbortController();

  beforeAll(async () => {
    ({ ts, browser } = suite);
    await createFlag(ts, 'chat-summary', { tags: ['provider-x'] });
    await createFlag(ts, 'smart-reply', { tags: ['provider-x'] });
    await createFlag(ts, 'ranker-v2', { tags: ['provider-x'] });
    // Two server-side SDKs on websockets...
    const server = await ok(ts, 'POST', '/api/sdk-keys', ['admin', 'root'], { name: 'e2e apps' });
    for (let i = 0; i < 2; i++) {
      const c = createClient({ url: ts.url, sdkKey: server.key, WebSocket: WebSocket as never });
      clients.push(c);
      expect(await c.ready({ timeoutMs: 5000 })).toBe(true);
    }
    // ...and three browser apps on OFREP event streams (a client key's bulk answer names the stream).
    const web = await ok(ts, 'POST', '/api/sdk-keys', ['admin', 'root'], { name: 'web', kind: 'client' });
    for (let i = 0; i < 3; i++) {
      const bulk = await ts.api('POST', '/ofrep/v1/evaluate/flags', { body: { context: { targetingKey: `u${i}` } }, headers: { 'x-api-key': web.key } });
      const res = await fetch(bulk.body.eventStreams[0].url, { signal: streams.signal });
      expect(res.status).toBe(200);
      void res.body!.pipeTo(new WritableStream()).catch(() => {});
    }
  });

  afterAll(() => {
    streams.abort();
    for (const c of clients) c.close();
  });

  it('on-call kills a flag from its row and the result counts 2 SDKs and 3 browser apps on OFREP event streams', async () => {
    const { page, errors } = await signIn(browser, ts, 'oncall', 'olga');
    await page.getByRole('button', { name: 'Kill switch for chat-summary' }).click();
    const dialog = page.getByRole('dialog', { name: 'Kill chat-summary' });
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('provider-x outage, INC-2301');
    await dialog.getByRole('checkbox').check();
    await dialog.getByRole('button', { name: 'Kill flag' }).click();
    const reach = dialog.getByTestId('propagation');
    await reach.getByText('Reached 2 of 2 connected SDKs', { exact: false }).waitFor();
    await expect.poll(() => reach.textContent()).toContain('and 3 browser apps (OFREP event streams, told to re-fetch)');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a kill by tag says, for every flag and for all of them, that it reached the browser apps too', async () => {
    const { page, errors } = await signIn(browser, ts, 'oncall', 'olga');
    await page.getByRole('button', { name: 'Kill by tag…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Kill every flag with a tag' });
    await dialog.getByLabel('Tag').selectOption('provider-x');
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('provider-x outage, INC-2302');
    await dialog.getByRole('checkbox').check();
    await dialog.getByRole('button', { name: 'Kill flags with this tag' }).click();
    await dialog.getByText('Every killed flag: Reached 2 of 2 connected SDKs', { exact: false }).waitFor();
    await expect.poll(() => dialog.getByTestId('propagation').textContent()).toContain('and 3 browser apps (OFREP event streams, told to re-fetch)');
    const killed = await dialog.getByRole('list', { name: 'Killed', exact: true }).getByRole('listitem').allTextContents();
    expect(killed).toHaveLength(2); // chat-summary was already killed
    for (const item of killed) expect(item).toContain('and 3 browser apps');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
