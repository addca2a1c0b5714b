import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createFlag, type TestServer } from '../helpers/server.js';
import { SCREENSHOTS, describeInBrowser, signIn } from './browser.js';
import { aggregates, flagWithPlan, ok, PLAN, signOff } from './seed.js';


describeInBrowser('admin UI: rollouts', (suite) => {
  let ts: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ ts, browser } = suite);
  });

  it('a PM signs off and advances a flag from 0 to 5% once its metrics pass', async () => {
    await flagWithPlan(ts, 'support-draft', { description: 'AI-drafted replies in the support inbox (prompt v1.4)', tags: ['ai', 'support'] });
    await aggregates(ts, 'support-draft', [['eval_score', 60, 0.86, 0.01], ['error_rate', 60, 0.004, 0.001]]);

    const { page, errors } = await signIn(browser, ts, 'pm', 'pm-bob', '#/flags/support-draft');
    const advance = page.getByRole('button', { name: 'Advance to 5%' });
    await expect.poll(() => advance.isDisabled()).toBe(true);
    await page.getByText('needs 1 more PM sign-off', { exact: false }).first().waitFor();

    await page.getByRole('button', { name: 'Sign off' }).click();
    await page.getByLabel('Comment').fill('eval set reviewed, dashboards green');
    await page.getByRole('dialog').getByRole('button', { name: 'Sign off' }).click();
    await page.getByText('Signed off 5%.').waitFor();
    await page.getByRole('button', { name: 'Done' }).click();

    await expect.poll(() => advance.isEnabled()).toBe(true);
    await page.getByText('all met: ready to advance').waitFor();
    await advance.click();
    await page.getByLabel('Reason').fill('gates green, starting the rollout');
    await page.getByRole('dialog').getByRole('button', { name: 'Advance to 5%' }).click();
    await page.getByText('support-draft advanced to 5% of cohort.').waitFor();
    await page.getByRole('button', { name: 'Done' }).click();

    await page.locator('[aria-current="step"]', { hasText: '5%' }).waitFor();
    await page.getByText('Stage 5% of cohort', { exact: false }).waitFor();
    const flag = await ok(ts, 'GET', '/api/flags/support-draft', ['viewer', 'v']);
    expect(flag).toMatchObject({ stage: 1, percent: 5 });
    const audit = await ok(ts, 'GET', '/api/audit?flag=support-draft&action=rollout.', ['viewer', 'v']);
    expect(audit.entries.map((e: { action: string; actor: string }) => `${e.action} ${e.actor}`)).toEqual(
      expect.arrayContaining(['rollout.advance pm-bob', 'rollout.signoff pm-bob']),
    );
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('an advance blocked by a failing gate shows which gate fails and why', async () => {
    await flagWithPlan(ts, 'reply-ranker', { description: 'Re-ranks suggested replies with the new model' });
    await aggregates(ts, 'reply-ranker', [['eval_score', 60, 0.86, 0.01], ['error_rate', 60, 0.002, 0.0005]]);
    await signOff(ts, 'reply-ranker', ['pm', 'pm-carol'], 'looks good');

    const { page } = await signIn(browser, ts, 'pm', 'pm-bob', '#/flags/reply-ranker');
    const advance = page.getByRole('button', { name: 'Advance to 5%' });
    await expect.poll(() => advance.isEnabled()).toBe(true);

    // The eval score drops after the page loaded: the server refuses and the dialog says why.
    await aggregates(ts, 'reply-ranker', [['eval_score', 100, 0.7, 0.01], ['eval_score', 100, 0.72, 0.01]]);
    await advance.click();
    await page.getByLabel('Reason').fill('ship it');
    await page.getByRole('dialog').getByRole('button', { name: 'Advance to 5%' }).click();
    const alert = page.getByRole('dialog').getByRole('alert');
    // 60 at 0.86 and 200 at 0.71: the mean 0.745 is 13.4% below the baseline, and so is the whole interval.
    await alert.getByText(/eval_score breach: -13\.4\d*% vs baseline 0\.86/).first().waitFor();
    await alert.locator('[data-gate="metric"][data-outcome="breach"]', { hasText: 'Breach' }).first().waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();

    // The page now lists the failing gate next to the disabled button.
    await expect.poll(() => advance.isDisabled()).toBe(true);
    const blocked = page.getByRole('list', { name: 'Why advance is blocked' });
    await blocked.getByText(/eval_score breach: .* vs baseline 0\.86/).waitFor();
    const flag = await ok(ts, 'GET', '/api/flags/reply-ranker', ['viewer', 'v']);
    expect(flag.stage).toBe(0);
    await page.context().close();
  });

  it('a viewer sees every action disabled, with the reason in words', async () => {
    const { page, errors } = await signIn(browser, ts, 'viewer', 'vera', '#/flags/support-draft');
    await page.getByRole('heading', { name: 'support-draft' }).waitFor();
    for (const name of ['Kill switch', 'Sign off', 'Advance to 25%', 'Roll back', 'Pause', 'Edit plan']) {
      const button = page.getByRole('button', { name, exact: true });
      expect(await button.isDisabled(), name).toBe(true);
    }
    await page.getByText('Your role (viewer) cannot kill or restore flags; it needs admin, pm, engineer or oncall.').waitFor();
    await page.getByText('Your role (viewer) cannot sign off stages; it needs pm.').waitFor();
    await page.getByText('Your role (viewer) cannot advance rollouts; it needs admin or pm.').waitFor();
    await page.getByText('Your role (viewer) cannot edit rollout plans; it needs admin or pm.').waitFor();

    await page.getByRole('link', { name: '← All flags' }).click();
    const killRow = page.getByRole('button', { name: 'Kill switch for support-draft' });
    expect(await killRow.isDisabled()).toBe(true);
    expect(await killRow.getAttribute('title')).toMatch(/cannot kill/);
    expect(await page.getByRole('button', { name: '+ New flag' }).isDisabled()).toBe(true);
    await page.getByText('Your role (viewer) cannot create or edit flags; it needs admin or engineer.').waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the plan editor shows the server\'s validation errors next to the fields, then saves a new version', async () => {
    const { page, errors } = await signIn(browser, ts, 'pm', 'pm-bob', '#/flags/reply-ranker');
    await page.getByRole('button', { name: 'Edit plan' }).click();
    const second = page.locator('[id="i-stages.1.percent"]');
    await second.fill('3');
    await second.press('Tab');
    await page.getByRole('button', { name: 'Save plan' }).click();
    await page.getByText('stage percentages must strictly increase (5 then 3)').first().waitFor();
    expect(await second.getAttribute('aria-invalid')).toBe('true');

    await second.fill('20');
    await second.press('Tab');
    await page.getByLabel('Reason for this change (optional)').fill('smaller second step');
    await page.getByRole('button', { name: 'Save plan' }).click();
    await page.getByRole('button', { name: 'Edit plan' }).waitFor();
    await page.getByText('plan version 2 by pm-bob').waitFor();
    const plan = await ok(ts, 'GET', '/api/flags/reply-ranker/plan', ['viewer', 'v']);
    expect(plan.plan.stages.map((x: { percent: number }) => x.percent)).toEqual([5, 20, 100]);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the plan editor keeps a webhook URL it only ever sees redacted', async () => {
    const secretUrl = 'https://hooks.example/T000/B000/SECRET'; // never notified here: no kill or advance of this flag
    await flagWithPlan(ts, 'hooked-plan', {}, { ...PLAN, webhookUrl: secretUrl });
    const { page, errors } = await signIn(browser, ts, 'pm', 'pm-bob', '#/flags/hooked-plan');
    await page.getByText('https://hooks.example/…/****', { exact: false }).first().waitFor();
    expect(await page.locator('sy-flag-page').evaluate((el) => el.shadowRoot!.innerHTML)).not.toContain('SECRET');
    await page.getByRole('button', { name: 'Edit plan' }).click();
    const second = page.locator('[id="i-stages.1.percent"]');
    await second.fill('30');
    await second.press('Tab');
    await page.getByRole('button', { name: 'Save plan' }).click();
    await page.getByText('plan version 2 by pm-bob').waitFor();
    const row = await ts.running.storage.db.selectFrom('flags').select('plan').where('key', '=', 'hooked-plan').executeTakeFirstOrThrow();
    expect(JSON.parse(row.plan!)).toMatchObject({ webhookUrl: secretUrl, stages: [{ percent: 5 }, { percent: 30 }, { percent: 100 }] });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("the plan editor keeps the plan's declared metric ranges, which it does not edit (issue 20)", async () => {
    const metrics = { eval_score: { min: 0, max: 1 } };
    await flagWithPlan(ts, 'ranged-plan', {}, { ...PLAN, metrics });
    const { page, errors } = await signIn(browser, ts, 'pm', 'pm-bob', '#/flags/ranged-plan');
    await page.getByRole('button', { name: 'Edit plan' }).click();
    const second = page.locator('[id="i-stages.1.percent"]');
    await second.fill('30');
    await second.press('Tab');
    await page.getByRole('button', { name: 'Save plan' }).click();
    await page.getByText('plan version 2 by pm-bob').waitFor();
    const plan = (await ts.api('GET', '/api/flags/ranged-plan/plan', { as: 'viewer' })).body.plan;
    expect(plan).toMatchObject({ metrics, stages: [{ percent: 5 }, { percent: 30 }, { percent: 100 }] });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('an engineer creates a flag; what users typed is shown as text, never run as HTML', async () => {
    const { page, errors } = await signIn(browser, ts, 'engineer', 'erin');
    await page.getByRole('button', { name: '+ New flag' }).click();
    const dialog = page.getByRole('dialog', { name: 'New flag' });
    await dialog.getByLabel('Key').fill('bad key!');
    await dialog.getByLabel('Owner').fill('ai-eng@acme');
    const evil = '<img src=x onerror="window.__pwned=1">';
    await dialog.getByLabel('Description').fill(evil);
    await dialog.getByRole('button', { name: 'Create flag' }).click();
    await dialog.getByText('flag key must be 1-100 letters', { exact: false }).first().waitFor();
    await dialog.getByLabel('Key').fill('prompt-v15');
    await dialog.getByRole('button', { name: 'Create flag' }).click();
    await page.getByRole('heading', { name: 'prompt-v15' }).waitFor();
    await page.getByText(evil).waitFor();
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('takes screenshots of the flag list and the flag page', async () => {
    await aggregates(ts, 'support-draft', [
      ['eval_score', 20, 0.855, 0.03], ['eval_score', 20, 0.861, 0.03], ['eval_score', 20, 0.849, 0.03], ['eval_score', 20, 0.858, 0.03], ['eval_score', 20, 0.852, 0.03],
      ['p95_latency_ms', 20, 1840, 150], ['p95_latency_ms', 20, 1910, 150], ['p95_latency_ms', 20, 2080, 150], ['p95_latency_ms', 20, 1960, 150], ['p95_latency_ms', 20, 2010, 150],
    ]);
    await createFlag(ts, 'checkout-v2', { owner: 'payments@acme', tags: ['payments'], description: 'New checkout flow' });
    await flagWithPlan(ts, 'smart-search', { owner: 'search@acme', tags: ['ai', 'search'], description: 'Semantic search with embeddings v3' });
    await ok(ts, 'POST', '/api/flags/smart-search/pause', ['oncall', 'olga'], { reason: 'waiting for the new index' });
    await createFlag(ts, 'legacy-prompts', { owner: 'ai-eng@acme', tags: ['ai'], description: 'Old prompt set, kept as a fallback' });
    await ok(ts, 'POST', '/api/flags/legacy-prompts/kill', ['oncall', 'olga'], { reason: 'hallucinated refund amounts, INC-2231' });

    const { page } = await signIn(browser, ts, 'pm', 'pm-bob');
    await page.getByRole('link', { name: 'support-draft' }).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'flags.png') });

    await page.getByRole('link', { name: 'support-draft' }).click();
    await page.getByRole('heading', { name: 'Gates for 25%', exact: false }).waitFor();
    await page.locator('sy-trend svg').first().waitFor();
    const preview = page.getByRole('form', { name: 'Preview what a user gets' });
    await preview.getByLabel('User key').fill('user-42');
    await preview.getByLabel('Attributes (one name=value per line)').fill('plan=pro');
    await preview.getByRole('button', { name: 'Preview' }).click();
    await page.getByTestId('preview-result').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'flag-page.png'), fullPage: true });

    // The incident tool on the list: kill every flag with a tag, listing them before confirming.
    await page.getByRole('link', { name: '← All flags' }).click();
    await page.getByRole('button', { name: 'Kill by tag…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Kill every flag with a tag' });
    await dialog.getByLabel('Tag').selectOption('ai');
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('model provider outage, INC-2240');
    await dialog.getByRole('checkbox').check();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'kill-by-tag.png') });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await page.context().close();
  });
});
