import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawPeer, wsUrl } from './helpers/push-client.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

let ts: TestServer;
let key: { id: string; name: string; prefix: string; key: string };

beforeAll(async () => {
  ts = await startTestServer();
  await createFlag(ts, 'plain-flag');
  const res = await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'checkout-backend' } });
  key = res.body;
  await ts.api('POST', `/api/sdk-keys/${key.id}/revoke`, { as: 'admin', body: { reason: 'rotated' } });
});
afterAll(() => ts.close());

/** Every place an SDK key's id, name or prefix could show in an entry. */
function leaks(text: string): string[] {
  return [key.id, key.name, key.prefix].filter((s) => text.includes(s));
}

describe('what a viewer sees of the admin-only SDK keys through the audit trail', () => {
  it('the SDK key routes themselves are admin-only', async () => {
    expect((await ts.api('GET', '/api/sdk-keys', { as: 'viewer' })).status).toBe(403);
  });

  it('a viewer listing the audit sees SDK key ids, names and prefixes redacted; an admin sees them', async () => {
    const viewer = await ts.api('GET', '/api/audit?action=sdk_key.create', { as: 'viewer' });
    expect(viewer.status).toBe(200);
    expect(viewer.body.entries).toHaveLength(1);
    expect(leaks(viewer.text)).toEqual([]);
    expect(viewer.body.entries[0].after).toMatchObject({ id: '[redacted]', name: '[redacted]', prefix: '[redacted]', createdBy: 'admin-user' });
    expect(viewer.body.entries[0].redacted).toEqual(['after.id', 'after.name', 'after.prefix']);
    const revoke = await ts.api('GET', '/api/audit?action=sdk_key.revoke', { as: 'pm' });
    expect(leaks(revoke.text)).toEqual([]);
    expect(revoke.body.entries[0].reason).toBe('rotated');

    const admin = await ts.api('GET', '/api/audit?action=sdk_key.create', { as: 'admin' });
    expect(admin.body.entries[0].after).toMatchObject({ id: key.id, name: key.name, prefix: key.prefix });
    expect(admin.body.entries[0].redacted).toBeUndefined();
    // The hashes are the stored ones in both views, and verify (over stored rows) still holds.
    expect(viewer.body.entries[0].hash).toBe(admin.body.entries[0].hash);
    expect((await ts.api('GET', '/api/audit/verify', { as: 'viewer' })).body.ok).toBe(true);
  });

  it('a viewer exporting the audit as JSON lines or CSV gets the same redaction', async () => {
    for (const format of ['jsonl', 'csv']) {
      const viewer = await ts.api('GET', `/api/audit/export?format=${format}`, { as: 'engineer' });
      expect(viewer.status).toBe(200);
      expect(viewer.text).toContain('sdk_key.create');
      expect(leaks(viewer.text)).toEqual([]);
      const admin = await ts.api('GET', `/api/audit/export?format=${format}`, { as: 'admin' });
      expect(leaks(admin.text)).toEqual([key.id, key.name, key.prefix]);
    }
  });

  it('the admin stream sends a viewer a new SDK key entry redacted and an admin the full entry', async () => {
    const viewer = rawPeer(wsUrl(ts.url, '/api/stream'), { protocols: ['switchyard.admin.v1', `bearer.${await ts.token('viewer')}`] });
    const admin = rawPeer(wsUrl(ts.url, '/api/stream'), { protocols: ['switchyard.admin.v1', `bearer.${await ts.token('admin')}`] });
    await viewer.next((m) => m.type === 'hello');
    await admin.next((m) => m.type === 'hello');
    const created = await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'streamed-service' } });
    const seen = await viewer.next((m) => m.type === 'audit' && m.entry.action === 'sdk_key.create');
    const full = await admin.next((m) => m.type === 'audit' && m.entry.action === 'sdk_key.create');
    expect(JSON.stringify(seen)).not.toContain(created.body.id);
    expect(JSON.stringify(seen)).not.toContain('streamed-service');
    expect(JSON.stringify(seen)).not.toContain(created.body.prefix);
    expect(seen.entry.after.id).toBe('[redacted]');
    expect(full.entry.after).toMatchObject({ id: created.body.id, name: 'streamed-service', prefix: created.body.prefix });
    // Other entries reach the viewer whole.
    await ts.api('POST', '/api/flags/plain-flag/kill', { as: 'oncall', body: { reason: 'cost spike' } });
    const kill = await viewer.next((m) => m.type === 'audit' && m.entry.action === 'flag.kill');
    expect(kill.entry).toMatchObject({ flag: 'plain-flag', reason: 'cost spike' });
    expect(kill.entry.redacted).toBeUndefined();
    viewer.ws.close();
    admin.ws.close();
  });
});

describe('the audit action prefix filter', () => {
  it('?action=sdk_key. finds the SDK key entries: the prefix matches literally, underscore included', async () => {
    const res = await ts.api('GET', '/api/audit?action=sdk_key.', { as: 'admin' });
    expect(res.status).toBe(200);
    const actions = res.body.entries.map((e: { action: string }) => e.action);
    expect(actions.length).toBeGreaterThanOrEqual(2);
    expect(new Set(actions)).toEqual(new Set(['sdk_key.create', 'sdk_key.revoke']));
    const exported = await ts.api('GET', '/api/audit/export?action=sdk_key.', { as: 'admin' });
    expect(exported.text.trim().split('\n').length).toBe(actions.length);
  });

  it('a prefix is not a pattern: % and _ in it match only themselves', async () => {
    expect((await ts.api('GET', '/api/audit?action=%25.', { as: 'admin' })).body.entries).toEqual([]);
    expect((await ts.api('GET', '/api/audit?action=sdk%25.', { as: 'admin' })).body.entries).toEqual([]);
    expect((await ts.api('GET', '/api/audit?action=fla_.', { as: 'admin' })).body.entries).toEqual([]);
    const flags = await ts.api('GET', '/api/audit?action=flag.', { as: 'admin' });
    expect(flags.body.entries.every((e: { action: string }) => e.action.startsWith('flag.'))).toBe(true);
    expect(flags.body.entries.length).toBeGreaterThanOrEqual(1);
  });
});
