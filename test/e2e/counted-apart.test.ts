/**
 * Issue 20: figures the API has and the admin UI did not show. A kill's `unresponsive` (SDKs
 * closed for not acknowledging within ACK_TIMEOUT_MS, apart from `connected`) and a metric gate's
 * `reporters` (how many distinct metrics tokens its evidence comes from). The real server: real
 * SDK sockets that never acknowledge, real samples from two reporters.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { createClient, type Client } from '@switchyard-flags/sdk/node';
import { createFlag, type TestServer } from '../helpers/server.js';
import { sdkPeer } from '../helpers/push-client.js';
import { describeInBrowser, signIn } from './browser.js';
import { flagWithPlan, ok } from './seed.js';

describeInBrowser('admin UI: what the figures count apart', (suite) => {
  let ts: TestServer;
  let browser: Browser;
  let app: Client;

  beforeAll(async () => {
    ({ ts, browser } = suite);
    await createFlag(ts, 'chat-summary');
    const server = await ok(ts, 'POST', '/api/sdk-keys', ['admin', 'root'], { name: 'e2e apps' });
    app = createClient({ url: ts.url, sdkKey: server.key, WebSocket: WebSocket as never });
    expect(await app.ready({ timeoutMs: 5000 })).toBe(true);
    // Three sockets that say hello and never acknowledge: closed as unresponsive after ACK_TIMEOUT_MS.
    const silent = Array.from({ length: 3 }, () => sdkPeer(ts, server.key));
    const closed = await Promise.all(silent.map((p) => p.closed));
    expect(closed.map((c) => c.code)).toEqual([4408, 4408, 4408]);

    await flagWithPlan(ts, 'reported', {}, { stages: [{ percent: 5, checks: [{ metric: 'eval_score', op: '>=', threshold: 0.5 }] }, { percent: 100 }] });
    for (const sub of ['eval-job', 'online-scorer']) {
      await ok(ts, 'POST', '/api/metrics', ['metrics', sub], { samples: [{ flag: 'reported', metric: 'eval_score', count: 20, mean: 0.9, stddev: 0.05, cohort: 'treatment' }] });
    }
  });

  afterAll(() => app?.close());

  it('a kill result says how many unresponsive SDKs were closed and left out of the count', async () => {
    const { page, errors } = await signIn(browser, ts, 'oncall', 'olga');
    await page.getByRole('button', { name: 'Kill switch for chat-summary' }).click();
    const dialog = page.getByRole('dialog', { name: 'Kill chat-summary' });
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('summaries leaking PII, INC-2310');
    await dialog.getByRole('checkbox').check();
    await dialog.getByRole('button', { name: 'Kill flag' }).click();
    const reach = dialog.getByTestId('propagation');
    await reach.getByText('Reached 1 of 1 connected SDKs', { exact: false }).waitFor();
    await expect.poll(() => reach.getByTestId('unresponsive').textContent()).toContain(
      '3 unresponsive SDKs were closed for not acknowledging in time: not counted above; they get this change when they reconnect',
    );
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("a metric gate says how many reporters its evidence comes from", async () => {
    const { page, errors } = await signIn(browser, ts, 'pm', 'pm-bob', '#/flags/reported');
    const gate = page.getByRole('list', { name: 'Gates' }).locator('li[data-gate="metric"]', { hasText: 'eval_score' });
    await gate.getByTestId('reporters').getByText('Evidence from 2 reporters (distinct metrics tokens)').waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  });
}, { ackTimeoutMs: 300 });
