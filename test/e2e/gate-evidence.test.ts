/**
 * The admin UI shows the evidence of issue 15's gates: a metric check's outcome in words, its
 * estimate and interval against the limit, n; lapsed sign-offs; the convergence figure; and the
 * sign-off dialog shows the snapshot being signed. Every state comes from the real server: aggregate
 * samples, real sign-offs, real SDK connections.
 */
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { describeInBrowser, PHONE, SCREENSHOTS, signIn } from './browser.js';
import WebSocket from 'ws';
import { createClient } from '@switchyard-flags/sdk/node';
import { issueSdkKey, rawPeer, wsUrl } from '../helpers/push-client.js';
import { aggregates, flagWithPlan, ok, signOff } from './seed.js';

const PLAN = {
  stages: [
    {
      percent: 5,
      checks: [
        { metric: 'eval_score', maxDropPct: 5, baseline: 0.86 },
        { metric: 'error_rate', op: '<=', threshold: 0.01 },
        { metric: 'p95_latency_ms', op: '<=', threshold: 2500 },
      ],
    },
    { percent: 100 },
  ],
};

/** The metric gate of `metric` in the page's gate list. */
const gate = (page: Page, metric: string) => page.getByRole('list', { name: 'Gates' }).locator('li[data-gate="metric"]', { hasText: metric });


describeInBrowser('admin UI: the evidence behind each gate', (suite) => {
  let ts: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ ts, browser } = suite);
    await flagWithPlan(ts, 'evidence', { description: 'Prompt v2 for support drafts' }, PLAN);
    // eval_score: 60 samples around the baseline, too spread to decide; error_rate: clearly under its cap;
    // p95 latency: clearly over 2500.
    await aggregates(ts, 'evidence', [
      ['eval_score', 20, 0.85, 0.1], ['eval_score', 40, 0.86, 0.1],
      ['error_rate', 80, 0.004, 0.001],
      ['p95_latency_ms', 40, 2900, 200],
    ]);
  });

  it('each check shows its outcome in words, its estimate and interval against the limit, and n: pass, breach and inconclusive', async () => {
    const { page, errors } = await signIn(browser, ts, 'pm', 'pm-bob', '#/flags/evidence');
    const server = await ok(ts, 'GET', '/api/flags/evidence/gates', ['viewer', 'v']);
    const outcomes = Object.fromEntries(server.gates.filter((g: { gate: string }) => g.gate === 'metric').map((g: { metric: string; outcome: string }) => [g.metric, g.outcome]));
    expect(outcomes).toEqual({ eval_score: 'inconclusive', error_rate: 'pass', p95_latency_ms: 'breach' });

    const wait = gate(page, 'eval_score');
    await wait.locator('.status', { hasText: 'Inconclusive' }).waitFor();
    await wait.getByText(/^inconclusive: about \d+ more samples at this rate$/).waitFor();
    await wait.locator('.evidence').getByText('estimate −0.388% · 95% interval [−5.89%, +5.12%] · limit −5% · n = 60, at least 30').waitFor();
    expect(await wait.getAttribute('data-outcome')).toBe('inconclusive');

    const pass = gate(page, 'error_rate');
    await pass.locator('.status', { hasText: 'Pass' }).waitFor();
    await pass.getByText('pass: the whole interval is on the safe side of the limit').waitFor();
    await pass.locator('.evidence').getByText(/^estimate 0\.004 · 95% interval \[0\.00\d+, 0\.00\d+\] · limit <= 0\.01 · n = 80, at least 30$/).waitFor();

    const breach = gate(page, 'p95_latency_ms');
    await breach.locator('.status', { hasText: 'Breach' }).waitFor();
    await breach.getByText('breach: the whole interval is past the limit').waitFor();
    await breach.locator('.evidence').getByText(/^estimate 2900 · 95% interval \[2\d{3}(\.\d+)?, 3\d{3}(\.\d+)?\] · limit <= 2500 · n = 40, at least 30$/).waitFor();

    // The drawing: the interval bar against the limit, named by the same numbers.
    const drawing = breach.locator('sy-interval svg[role="img"]');
    expect(await drawing.getAttribute('aria-label')).toMatch(/^p95_latency_ms: breach; estimate 2900 · 95% interval/);
    expect(await breach.locator('sy-interval line.limit').count()).toBe(1);
    expect(await breach.locator('sy-interval line.bar').count()).toBe(1);
    // The server's own words are kept under them.
    await breach.getByText(/^p95_latency_ms breach: /).waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("one sample is inconclusive: the gate says how many samples it still needs (the issue's example)", async () => {
    await flagWithPlan(ts, 'one-sample', {}, { stages: [{ percent: 5, checks: [{ metric: 'eval_score', maxDropPct: 5, baseline: 0.86 }] }, { percent: 100 }] });
    await aggregates(ts, 'one-sample', [['eval_score', 1, 0.85, 0]]);
    const { page } = await signIn(browser, ts, 'pm', 'pm-bob', '#/flags/one-sample');
    const g = gate(page, 'eval_score');
    await g.getByText('inconclusive: 1 of at least 30 samples, 29 more needed before it can decide').waitFor();
    await g.locator('.evidence').getByText('estimate −1.16% · 95% interval not yet known · limit −5% · n = 1, at least 30').waitFor();
    expect(await page.getByRole('button', { name: 'Advance to 5%' }).isDisabled()).toBe(true);
    await page.context().close();
  });

  it('the sign-off dialog shows the snapshot being signed, and the signer is listed with what they signed', async () => {
    const { page, errors } = await signIn(browser, ts, 'pm', 'pm-bob', '#/flags/evidence');
    await gate(page, 'eval_score').waitFor();
    await page.getByRole('button', { name: 'Sign off' }).click();
    const dialog = page.getByRole('dialog');
    const snap = dialog.getByRole('region', { name: 'The evidence you sign' });
    await snap.getByText('You sign this evidence').waitFor();
    await snap.getByText('(plan version 1, as the gates show it now)', { exact: false }).waitFor();
    const items = await snap.getByRole('listitem').allTextContents();
    expect(items.map((t) => t.replace(/\s+/g, ' ').trim())).toEqual([
      expect.stringMatching(/^Inconclusive · eval_score: inconclusive, estimate −0\.388%, interval \[−5\.89%, \+5\.12%\], n = 60$/),
      expect.stringMatching(/^Pass · error_rate: pass, estimate 0\.004, interval \[[\d.]+, [\d.]+\], n = 80$/),
      expect.stringMatching(/^Breach · p95_latency_ms: breach, estimate 2900, interval \[[\d.]+, [\d.]+\], n = 40$/),
    ]);
    await snap.getByText('2 of 3 checks are not a pass yet', { exact: false }).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'signoff-snapshot.png') });
    await dialog.getByLabel('Comment').fill('eval set reviewed');
    await dialog.getByRole('button', { name: 'Sign off' }).click();
    await page.getByText('Signed off 5%.').waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('list', { name: 'Sign-offs' }).getByText('pm-bob').waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a sign-off records what it signed, lapses by itself when its check turns, and the gate says so in words', async () => {
    const plan = { stages: [{ percent: 5, checks: [{ metric: 'eval_score', maxDropPct: 5, baseline: 0.86 }] }, { percent: 100 }] };
    await flagWithPlan(ts, 'lapses', {}, plan);
    await aggregates(ts, 'lapses', [['eval_score', 120, 0.86, 0.05]]);
    await signOff(ts, 'lapses', ['pm', 'bob'], 'eval set reviewed');
    const { page, errors } = await signIn(browser, ts, 'pm', 'pm-carol', '#/flags/lapses');
    const gates = page.getByRole('list', { name: 'Gates' });
    const signers = gates.getByRole('list', { name: 'Sign-offs', exact: true });
    await signers.getByText(/signed on: eval_score: pass, estimate 0%, interval \[−[\d.]+%, \+[\d.]+%\], n = 120/).waitFor();
    await gate(page, 'eval_score').locator('.status', { hasText: 'Pass' }).waitFor();

    // A bad batch arrives: the check turns to breach, and bob's sign-off lapses without anyone acting.
    await aggregates(ts, 'lapses', [['eval_score', 400, 0.7, 0.05]]);
    await page.reload();
    const lapsed = gates.getByRole('list', { name: 'Lapsed sign-offs' });
    await lapsed.getByText(/^⚠ sign-off by bob lapsed: eval_score turned breach at \d\d:\d\d$/).waitFor();
    await gate(page, 'eval_score').locator('.status', { hasText: 'Breach' }).waitFor();
    expect(await gates.getByRole('list', { name: 'Sign-offs', exact: true }).count()).toBe(0); // a lapsed sign-off no longer counts
    await gates.locator('li[data-gate="signoff"] .status', { hasText: 'Not met' }).waitFor();
    await page.locator('sy-gate-list').screenshot({ path: path.join(SCREENSHOTS, 'gate-lapsed.png') });
    const audit = await ok(ts, 'GET', '/api/audit?flag=lapses&action=signoff.lapse', ['viewer', 'v']);
    expect(audit.entries).toHaveLength(1);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the convergence gate shows how many connected SDKs applied the stage and lists those that have not', async () => {
    await flagWithPlan(ts, 'converges', {}, { stages: [{ percent: 5 }, { percent: 100 }] });
    await signOff(ts, 'converges', ['pm', 'pm-bob'], 'go');
    await ok(ts, 'POST', '/api/flags/converges/advance', ['pm', 'pm-bob'], { reason: 'start' });
    const applying = await issueSdkKey(ts, 'checkout-api');
    const silent = await issueSdkKey(ts, 'batch-worker');
    const client = createClient({ url: ts.url, sdkKey: applying.key, WebSocket: WebSocket as never, telemetryIntervalMs: 0 });
    // An SDK that says hello, takes the snapshot and never acknowledges it.
    const peer = rawPeer(wsUrl(ts.url), { headers: { authorization: `Bearer ${silent.key}` } });
    peer.ws.on('open', () => peer.send({ type: 'hello', protocol: 1, version: 0, sdk: 'batch-worker/2.0' }));
    try {
      expect(await client.ready()).toBe(true);
      await peer.next((m) => m.type === 'snapshot');
      const { page, errors } = await signIn(browser, ts, 'pm', 'pm-bob', '#/flags/converges');
      const conv = page.getByRole('list', { name: 'Gates' }).locator('li[data-gate="convergence"]');
      await conv.getByText('SDKs on this stage').waitFor();
      await conv.getByText('Applied by 1 of 2 connected SDKs (50%; needs 99%)').waitFor();
      await conv.locator('.status', { hasText: 'Not met' }).waitFor();
      expect(await conv.getByRole('meter').getAttribute('aria-valuenow')).toBe('50');
      const pending = await conv.getByRole('list', { name: 'SDKs that have not applied the stage' }).getByRole('listitem').allTextContents();
      expect(pending).toEqual(['batch-worker/2.0 is at version 0']);
      expect(await page.getByRole('button', { name: 'Advance to 100%' }).isDisabled()).toBe(true);
      await page.locator('sy-gate-list').screenshot({ path: path.join(SCREENSHOTS, 'gate-convergence.png') });
      expect(errors).toEqual([]);
      await page.context().close();
    } finally {
      client.close();
      peer.ws.close();
    }
  });

  it('the README picture: every kind of evidence on one stage', async () => {
    const { page } = await signIn(browser, ts, 'pm', 'pm-bob', '#/flags/evidence');
    await gate(page, 'p95_latency_ms').locator('sy-interval svg').waitFor();
    await page.locator('sy-gate-list').screenshot({ path: path.join(SCREENSHOTS, 'gate-evidence.png') });
    await page.context().close();
  });

  it('on a phone the evidence wraps under each gate without scrolling sideways', async () => {
    const { page, errors } = await signIn(browser, ts, 'pm', 'pm-bob', '#/flags/evidence', PHONE);
    await gate(page, 'p95_latency_ms').locator('sy-interval svg').waitFor();
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth <= window.innerWidth)).toBe(true);
    const box = await gate(page, 'p95_latency_ms').locator('sy-interval').boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= PHONE.width).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
