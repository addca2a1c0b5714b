import { beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { createFlag, type TestServer } from '../helpers/server.js';
import { describeInBrowser, signIn } from './browser.js';
import { ok, signOff } from './seed.js';


describeInBrowser('admin UI: editing flags, previews and SDK keys', (suite) => {
  let ts: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    ({ ts, browser } = suite);
  });

  it('an engineer edits a flag and is told when another user changed it first', async () => {
    await createFlag(ts, 'summary-tone', { description: 'Summaries in a neutral tone', tags: ['ai'] });
    const { page, errors } = await signIn(browser, ts, 'engineer', 'erin', '#/flags/summary-tone');
    await page.getByRole('button', { name: 'Edit details…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit summary-tone' });
    await dialog.getByLabel('Description').fill('Summaries in a friendlier tone (prompt v2)');

    // A bad value is refused by the server, and the error sits next to its field.
    await dialog.getByLabel('Value when off (JSON)').fill('"none"');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.getByText('on and off must be of the same type', { exact: false }).first().waitFor();
    expect(await dialog.getByLabel('Value when off (JSON)').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByLabel('Value when off (JSON)').fill('false');

    // Meanwhile someone else changes the owner: the save is refused and the latest values shown.
    const before = await ok(ts, 'GET', '/api/flags/summary-tone', ['viewer', 'v']);
    await ok(ts, 'PATCH', '/api/flags/summary-tone', ['engineer', 'ed'], { version: before.version, owner: 'tone-team@acme' });
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    const conflict = dialog.getByTestId('edit-conflict');
    await conflict.getByText('This flag changed under you.').waitFor();
    await conflict.getByRole('table', { name: 'Latest values' }).getByText('tone-team@acme', { exact: true }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'changed under you' }).filter({ hasText: 'The page now shows the latest state' }).waitFor();
    expect(await dialog.getByLabel('Description').inputValue()).toBe('Summaries in a friendlier tone (prompt v2)');
    expect(await dialog.getByLabel('Owner').inputValue()).toBe('tone-team@acme');

    await dialog.getByRole('button', { name: 'Save over the latest version' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator('sy-flag-header').getByText('Summaries in a friendlier tone (prompt v2)').waitFor();
    const after = await ok(ts, 'GET', '/api/flags/summary-tone', ['viewer', 'v']);
    expect(after).toMatchObject({ description: 'Summaries in a friendlier tone (prompt v2)', owner: 'tone-team@acme', off: false });
    const audit = await ok(ts, 'GET', '/api/audit?flag=summary-tone&action=flag.update', ['viewer', 'v']);
    expect(audit.entries.map((e: { actor: string }) => e.actor)).toEqual(['erin', 'ed']);

    // Archive asks for a reason and a confirmation; the page then says the flag is archived.
    await page.getByRole('button', { name: 'Archive flag…' }).click();
    const archive = page.getByRole('dialog', { name: 'Archive summary-tone' });
    await archive.getByLabel('Reason (recorded in the audit trail)').fill('replaced by summary-tone-v2');
    await archive.getByRole('checkbox').check();
    await archive.getByRole('button', { name: 'Archive flag' }).click();
    await archive.getByText('summary-tone is archived.').waitFor();
    await archive.getByRole('button', { name: 'Done' }).click();
    await page.getByText('Archived', { exact: true }).waitFor();
    expect((await ok(ts, 'GET', '/api/flags/summary-tone', ['viewer', 'v'])).archived).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('the rollout preview says what a user gets, and why, in words', async () => {
    await createFlag(ts, 'answer-model', { on: 'v2', off: 'v1' });
    await ok(ts, 'PUT', '/api/flags/answer-model/plan', ['pm', 'pm-alice'], {
      cohort: [{ attr: 'plan', op: 'in', values: ['pro', 'team'] }],
      stages: [{ percent: 50, signoffs: 1 }, { percent: 100, signoffs: 1 }],
    });
    await signOff(ts, 'answer-model', ['pm', 'pm-carol'], 'ok');
    await ok(ts, 'POST', '/api/flags/answer-model/advance', ['pm', 'pm-bob'], { reason: 'start' });
    let inside: { key: string; bucket: number } | undefined;
    for (let i = 1; !inside && i < 40; i++) {
      const r = await ok(ts, 'GET', `/api/flags/answer-model/preview?key=user-${i}&attr=plan:pro`, ['viewer', 'v']);
      if (r.reason === 'ROLLOUT_IN') inside = { key: `user-${i}`, bucket: r.bucket };
    }
    expect(inside).toBeDefined();

    const { page, errors } = await signIn(browser, ts, 'viewer', 'vera', '#/flags/answer-model');
    const form = page.getByRole('form', { name: 'Preview what a user gets' });
    const result = page.getByTestId('preview-result');
    await form.getByLabel('User key').fill(inside!.key);
    await form.getByLabel('Attributes (one name=value per line)').fill('plan=pro\ncountry=US');
    await form.getByRole('button', { name: 'Preview' }).click();
    await result.getByText(`${inside!.key} gets v2: in the 50% rollout (bucket ${inside!.bucket} of 10000)`, { exact: true }).waitFor();

    await form.getByLabel('Attributes (one name=value per line)').fill('plan=free');
    await form.getByRole('button', { name: 'Preview' }).click();
    await result.getByText(`${inside!.key} gets v1: not in the cohort`, { exact: false }).waitFor();

    await form.getByLabel('Attributes (one name=value per line)').fill('plan free');
    await form.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('alert').getByText('Write one attribute per line as name=value', { exact: false }).waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('an admin issues an SDK key, sees it once, then only its prefix, and revokes it', async () => {
    const { page, errors } = await signIn(browser, ts, 'admin', 'root', '#/keys');
    await page.getByLabel('Name').fill('checkout-web (production)');
    await page.getByRole('button', { name: 'Issue key' }).click();
    const secret = (await page.getByTestId('new-key').textContent())!.trim();
    const [issued] = (await ok(ts, 'GET', '/api/sdk-keys', ['admin', 'root'])).keys as Array<{ id: string; prefix: string }>;
    expect(secret.startsWith(issued!.prefix)).toBe(true);
    const row = page.locator(`tr[data-key="${issued!.id}"]`);
    await row.getByText(`${issued!.prefix}…`, { exact: true }).waitFor();
    expect(await row.textContent()).not.toContain(secret);

    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByTestId('new-key').waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Flags', exact: true }).click();
    await page.getByRole('link', { name: 'SDK keys' }).click();
    await row.waitFor();
    expect(await page.locator('sy-sdk-keys').textContent()).not.toContain(secret);

    await row.getByRole('button', { name: 'Revoke checkout-web (production)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke the SDK key “checkout-web (production)”' });
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('leaked in a build log');
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await dialog.getByText('The key “checkout-web (production)” is revoked.').waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await row.getByText('Revoked', { exact: true }).waitFor();
    const sdk = await ts.api('GET', '/api/sdk/flags', { token: secret });
    expect(sdk.status).toBe(401);
    expect(errors).toEqual([]);
    await page.context().close();
  });
  it('a killed flag cannot be archived from its page; an admin unarchives an archived flag with a reason', async () => {
    await createFlag(ts, 'kept-killed');
    await ok(ts, 'POST', '/api/flags/kept-killed/kill', ['oncall', 'olga'], { reason: 'bad answers' });
    const eng = await signIn(browser, ts, 'engineer', 'erin', '#/flags/kept-killed');
    await eng.page.getByText('A killed flag cannot be archived: restore it or keep it killed.').waitFor();
    expect(await eng.page.getByRole('button', { name: 'Archive flag…' }).isDisabled()).toBe(true);
    await eng.context.close();

    await createFlag(ts, 'came-back');
    await ok(ts, 'POST', '/api/flags/came-back/archive', ['engineer', 'erin'], { reason: 'shipped' });
    const viewer = await signIn(browser, ts, 'engineer', 'erin', '#/flags/came-back');
    await viewer.page.getByText('Your role (engineer) cannot unarchive flags; it needs admin.').waitFor();
    expect(await viewer.page.getByRole('button', { name: 'Unarchive flag…' }).isDisabled()).toBe(true);
    await viewer.context.close();

    const { page, errors, context } = await signIn(browser, ts, 'admin', 'root', '#/flags/came-back');
    await page.getByRole('button', { name: 'Unarchive flag…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Unarchive came-back' });
    await dialog.getByLabel('Reason (recorded in the audit trail)').fill('billing still reads it');
    await dialog.getByRole('button', { name: 'Unarchive flag' }).click();
    await dialog.getByText('came-back is back.').waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Kill switch' }).waitFor();
    const flag = await ok(ts, 'GET', '/api/flags/came-back', ['viewer', 'v']);
    expect(flag.archived).toBe(false);
    const audit = await ok(ts, 'GET', '/api/audit?flag=came-back', ['viewer', 'v']);
    expect(audit.entries[0]).toMatchObject({ action: 'flag.unarchive', actor: 'root', reason: 'billing still reads it' });
    expect(errors).toEqual([]);
    await context.close();
  });
});
