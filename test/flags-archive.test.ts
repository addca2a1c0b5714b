import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@switchyard-flags/sdk';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { issueSdkKey } from './helpers/push-client.js';

/** Resolves once the client serves `expected` for `key` (with `fallback` as the caller's fallback). */
function serves(client: Client, key: string, expected: string): Promise<void> {
  const now = () => client.value(key, { key: 'u1' }, 'caller-fallback') === expected;
  if (now()) return Promise.resolve();
  return new Promise((resolve) => {
    const off = client.on('change', (e) => {
      if (e.key === key && now()) {
        off();
        resolve();
      }
    });
  });
}

async function auditCount(ts: TestServer): Promise<number> {
  return (await ts.api('GET', '/api/audit/verify', { as: 'admin' })).body.count;
}

describe('archive never un-kills', () => {
  let ts: TestServer;
  let key: string;
  let client: Client;

  beforeAll(async () => {
    ts = await startTestServer();
    key = (await issueSdkKey(ts)).key;
    client = createClient({ url: ts.url, sdkKey: key });
    await client.ready();
  });
  afterAll(async () => {
    client.close();
    await ts.close();
  });

  it('archiving a killed flag is refused with 409 flag_killed, and every SDK keeps serving the off value', async () => {
    await createFlag(ts, 'reply-drafts', { on: 'v2', off: 'v1' });
        expect((await ts.api('POST', '/api/flags/reply-drafts/kill', { as: 'oncall', body: { reason: 'bad drafts' } })).status).toBe(200);
    await serves(client, 'reply-drafts', 'v1');

    const before = await auditCount(ts);
    const res = await ts.api('POST', '/api/flags/reply-drafts/archive', { as: 'admin', body: { reason: 'tidy up' } });
    expect(res.status, res.text).toBe(409);
    expect(res.body.error.code).toBe('flag_killed');
    expect(res.body.error.message).toMatch(/restore it or keep it killed/);
    expect(await auditCount(ts)).toBe(before);

    const flag = (await ts.api('GET', '/api/flags/reply-drafts', { as: 'viewer' })).body;
    expect(flag).toMatchObject({ killed: true, archived: false });
    const snapshot = (await ts.api('GET', '/sdk/flags', { token: key })).body;
    expect(snapshot.flags.find((f: any) => f.key === 'reply-drafts')).toMatchObject({ killed: true, off: 'v1' });
    expect(client.value('reply-drafts', { key: 'u1' }, 'caller-fallback')).toBe('v1');
    // It can still be killed again (a no-op) and restored: the flag is live.
    expect((await ts.api('POST', '/api/flags/reply-drafts/kill', { as: 'oncall', body: { reason: 'again' } })).status).toBe(200);
  });

  it('an archived flag that was not killed leaves the SDKs, which serve each caller its own fallback', async () => {
    await createFlag(ts, 'old-banner', { on: 'new', off: 'old' });
    await serves(client, 'old-banner', 'old');
    expect((await ts.api('POST', '/api/flags/old-banner/archive', { as: 'engineer', body: { reason: 'shipped' } })).status).toBe(200);
    await serves(client, 'old-banner', 'caller-fallback');
    const snapshot = (await ts.api('GET', '/sdk/flags', { token: key })).body;
    expect(snapshot.flags.map((f: any) => f.key)).not.toContain('old-banner');
  });

  it('an admin unarchives a flag with a reason: audited as flag.unarchive, it is back in every SDK and can be killed', async () => {
    await createFlag(ts, 'came-back', { on: 'new', off: 'old' });
    expect((await ts.api('POST', '/api/flags/came-back/archive', { as: 'engineer', body: {} })).status).toBe(200);
        const res = await ts.api('POST', '/api/flags/came-back/unarchive', { as: 'admin', body: { reason: 'still in use by billing' } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ archived: false, archivedAt: null, archivedBy: null, killed: false });
    await serves(client, 'came-back', 'old');

    const audit = (await ts.api('GET', '/api/audit?flag=came-back', { as: 'admin' })).body;
    const entry = audit.entries.find((e: any) => e.action === 'flag.unarchive');
    expect(entry).toMatchObject({ actor: 'admin-user', reason: 'still in use by billing' });
    expect(entry.before.archived).toBe(true);
    expect(entry.after.archived).toBe(false);

    const kill = await ts.api('POST', '/api/flags/came-back/kill', { as: 'oncall', body: { reason: 'x' } });
    expect(kill.status).toBe(200);
    expect(kill.body.killed).toBe(true);
  });

  it('unarchive needs a reason, an archived flag, and an admin; a refusal changes nothing', async () => {
    await createFlag(ts, 'stays-live');
    await createFlag(ts, 'stays-archived');
    expect((await ts.api('POST', '/api/flags/stays-archived/archive', { as: 'engineer', body: {} })).status).toBe(200);
    const before = await auditCount(ts);
    const noReason = await ts.api('POST', '/api/flags/stays-archived/unarchive', { as: 'admin', body: {} });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.code).toBe('invalid_body');
    const live = await ts.api('POST', '/api/flags/stays-live/unarchive', { as: 'admin', body: { reason: 'r' } });
    expect(live.status).toBe(409);
    expect(live.body.error.code).toBe('not_archived');
    const missing = await ts.api('POST', '/api/flags/no-such-flag/unarchive', { as: 'admin', body: { reason: 'r' } });
    expect(missing.status).toBe(404);
    const engineer = await ts.api('POST', '/api/flags/stays-archived/unarchive', { as: 'engineer', body: { reason: 'r' } });
    expect(engineer.status).toBe(403);
    expect(await auditCount(ts)).toBe(before);
    expect((await ts.api('GET', '/api/flags/stays-archived', { as: 'viewer' })).body.archived).toBe(true);
  });
});
