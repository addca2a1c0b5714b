/**
 * The admin UI shows the evidence of issue 15's gates: a metric check's outcome in words, its
 * estimate and interval against the limit, n; lapsed sign-offs; the convergence figure; and the
 * sign-off dialog shows the snapshot being signed. Pass, breach and inconclusive come from the real
 * server (aggregate samples); lapsed sign-offs and the convergence gate are added to the real
 * server's gates answer in the contract's shape (gates.md, "JSON shape") until the server sends them.
 */
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../helpers/server.js';
import { describeInBrowser, PHONE, SCREENSHOTS, signIn } from './browser.js';
import { aggregates, flagWithPlan, ok } from './seed.js';

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

/** Serves the real server's gates answer for `key` with `extra(gates)` applied: fields the contract adds. */
async function withContractFields(page: Page, key: string, extra: (body: { gates: Array<Record<string, unknown>> }) => void) {
  await page.route(`**/api/flags/${key}/gates`, async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    extra(body);
    await route.fulfill({ response: res, json: body });
  });
}

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

  it('a lapsed sign-off is said in words, and the convergence gate shows applied of connected and who has not', async () => {
    const { page, errors } = await signIn(browser, ts, 'pm', 'pm-bob', '#/flags');
    await withContractFields(page, 'evidence', (body) => {
      const signoff = body.gates.find((g) => g.gate === 'signoff');
      if (signoff) signoff.lapsed = [{ actor: 'bob', at: '2026-06-01T10:02:00Z', metric: 'eval_score', outcome: 'inconclusive', reason: 'sign-off by bob lapsed: eval_score turned inconclusive at 10:02' }];
      body.gates.push({
        gate: 'convergence', ok: false, minApplied: 99, applied: 97, connected: 100, percentApplied: 97,
        notApplied: [{ id: 'c-17', name: 'checkout-api', replica: 'b', stateVersion: 41 }, { id: 'c-52', stateVersion: 40 }],
        detail: '97 of 100 connected SDKs applied stage 1 (97%); needs 99%',
      });
    });
    await page.evaluate(() => (location.hash = '#/flags/evidence'));
    const gates = page.getByRole('list', { name: 'Gates' });
    await gates.getByRole('list', { name: 'Lapsed sign-offs' }).getByText('sign-off by bob lapsed: eval_score turned inconclusive at 10:02').waitFor();
    const conv = gates.locator('li[data-gate="convergence"]');
    await conv.getByText('SDKs on this stage').waitFor();
    await conv.getByText('Applied by 97 of 100 connected SDKs (97%; needs 99%)').waitFor();
    expect(await conv.getByRole('meter').getAttribute('aria-valuenow')).toBe('97');
    const pending = await conv.getByRole('list', { name: 'SDKs that have not applied the stage' }).getByRole('listitem').allTextContents();
    expect(pending).toEqual(['checkout-api (replica b) is at version 41', 'c-52 is at version 40']);
    await conv.getByText('and 1 more').waitFor();
    await gate(page, 'p95_latency_ms').locator('sy-interval svg').waitFor();
    await page.locator('sy-gate-list').screenshot({ path: path.join(SCREENSHOTS, 'gate-evidence.png') });
    expect(errors).toEqual([]);
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
