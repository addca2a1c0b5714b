import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Environment, FlagListPage, FlagView } from '@switchyard-flags/sdk/api';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

// Environments as data and the environment-scoped flag routes (issue 23), against a real server
// on the test's database (the sqlite and postgres vitest projects).

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(() => ts.close());

const flag = async (key: string) => (await ts.api<FlagView>('GET', `/api/flags/${key}`, { as: 'viewer' })).body;
const envs = async () => (await ts.api<{ environments: Environment[] }>('GET', '/api/environments', { as: 'viewer' })).body.environments;
const audit = async (query: string) => (await ts.api<{ entries: Array<{ action: string; flag: string | null; environment: string | null }> }>('GET', `/api/audit?${query}`, { as: 'admin' })).body.entries;
const plan = { stages: [{ percent: 5 }, { percent: 25 }, { percent: 100 }], reason: 'try it' };

describe('environments', () => {
  it('a fresh server has production alone, protected; an admin creates staging (201, audited) and a second create is a 409', async () => {
    expect(await envs()).toEqual([expect.objectContaining({ key: 'production', order: 0, protected: true, requireSignoff: true, archived: false, version: 1 })]);
    const created = await ts.api<Environment>('POST', '/api/environments', { as: 'admin', body: { key: 'staging', name: 'Staging', order: 1 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'staging', name: 'Staging', order: 1, protected: false, requireSignoff: true, archived: false, version: 1, createdBy: 'admin-user' });
    expect((await envs()).map((e) => e.key)).toEqual(['production', 'staging']);
    const again = await ts.api('POST', '/api/environments', { as: 'admin', body: { key: 'staging', name: 'Again' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('environment_exists');
    expect(await audit('action=environment.create')).toEqual([expect.objectContaining({ action: 'environment.create', environment: 'staging' })]);
  });

  it('only admins create or change environments, and a bad key is a 400 naming it', async () => {
    expect((await ts.api('POST', '/api/environments', { as: 'engineer', body: { key: 'dev', name: 'Dev' } })).status).toBe(403);
    const bad = await ts.api('POST', '/api/environments', { as: 'admin', body: { key: 'Dev!', name: 'Dev' } });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('key');
    expect((await envs()).map((e) => e.key)).toEqual(['production', 'staging']);
  });

  it('a PATCH with a stale version is a 409; the default environment cannot be archived; changes are audited with before and after', async () => {
    const renamed = await ts.api<Environment>('PATCH', '/api/environments/staging', { as: 'admin', body: { version: 1, name: 'Staging (EU)', requireSignoff: false } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Staging (EU)', requireSignoff: false, version: 2 });
    const stale = await ts.api('PATCH', '/api/environments/staging', { as: 'admin', body: { version: 1, name: 'Old' } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('version_conflict');
    const archiveDefault = await ts.api('PATCH', '/api/environments/production', { as: 'admin', body: { version: 1, archived: true } });
    expect(archiveDefault.status).toBe(409);
    expect(archiveDefault.body.error.code).toBe('default_environment');
    expect((await envs()).find((e) => e.key === 'production')).toMatchObject({ archived: false, version: 1 });
    const [entry] = (await ts.api<{ entries: any[] }>('GET', '/api/audit?action=environment.update', { as: 'admin' })).body.entries;
    expect(entry).toMatchObject({ environment: 'staging', before: { name: 'Staging', version: 1 }, after: { name: 'Staging (EU)', version: 2 } });
  });

  it('a kill in staging through /api/envs/staging/flags/:key/kill changes nothing in production: flag, gates, list, and the audit names staging', async () => {
    await createFlag(ts, 'reply-model');
    expect((await ts.api('PUT', '/api/flags/reply-model/plan', { as: 'pm', body: plan })).status).toBe(200);
    const gatesBefore = (await ts.api('GET', '/api/flags/reply-model/gates', { as: 'viewer' })).body;
    const prodBefore = await flag('reply-model');

    const killed = await ts.api<FlagView & { changed: boolean }>('POST', '/api/envs/staging/flags/reply-model/kill', { as: 'oncall', body: { reason: 'bad drafts in staging' } });
    expect(killed.status).toBe(200);
    expect(killed.body).toMatchObject({ killed: true, changed: true, killReason: 'bad drafts in staging' });

    const prodAfter = await flag('reply-model');
    expect(prodAfter).toMatchObject({ killed: false, killId: null, version: prodBefore.version, planVersion: 1 });
    expect(prodAfter.environments).toEqual({
      production: { stage: 0, percent: 0, killed: false, paused: false, planVersion: 1 },
      staging: { stage: 0, percent: 0, killed: true, paused: false, planVersion: 0 },
    });
    const { planVersion: _p, ...gatesAfter } = (await ts.api('GET', '/api/flags/reply-model/gates', { as: 'viewer' })).body;
    const { planVersion: _q, ...gatesWere } = gatesBefore;
    expect(gatesAfter).toEqual(gatesWere);
    const staged = (await ts.api('GET', '/api/envs/staging/flags/reply-model/gates', { as: 'viewer' })).body;
    expect(staged).toMatchObject({ flag: 'reply-model', planVersion: 0, nextStage: null });

    const list = (await ts.api<FlagListPage>('GET', '/api/flags', { as: 'viewer' })).body.flags.find((f) => f.key === 'reply-model')!;
    expect(list).toMatchObject({ killed: false, environments: { production: { killed: false }, staging: { killed: true } } });

    const kills = await audit('flag=reply-model&action=flag.kill');
    expect(kills).toEqual([expect.objectContaining({ environment: 'staging' })]);
    expect(await audit('flag=reply-model&action=flag.kill&environment=production')).toEqual([]);
    expect((await ts.api('GET', '/api/audit/verify', { as: 'viewer' })).body).toMatchObject({ ok: true });

    const restored = await ts.api<FlagView & { changed: boolean }>('POST', '/api/envs/staging/flags/reply-model/restore', { as: 'oncall', body: { reason: 'fixed' } });
    expect(restored.body).toMatchObject({ killed: false, changed: true });
  });

  it('a plan written in staging is staging\'s: production keeps its own plan, stage and sign-offs', async () => {
    await createFlag(ts, 'summary-v3');
    const put = await ts.api('PUT', '/api/envs/staging/flags/summary-v3/plan', { as: 'pm', body: plan });
    expect(put.status).toBe(200);
    expect((await ts.api('GET', '/api/envs/staging/flags/summary-v3/plan', { as: 'viewer' })).body).toMatchObject({ version: 1, plan: { stages: [{ percent: 5 }, { percent: 25 }, { percent: 100 }] } });
    expect((await ts.api('GET', '/api/flags/summary-v3/plan', { as: 'viewer' })).body).toMatchObject({ version: 0, plan: null });
    const paused = await ts.api('POST', '/api/envs/staging/flags/summary-v3/pause', { as: 'oncall', body: { reason: 'wait' } });
    expect(paused.status).toBe(200);
    expect((await flag('summary-v3')).environments).toEqual({
      production: { stage: 0, percent: 0, killed: false, paused: false, planVersion: 0 },
      staging: { stage: 0, percent: 0, killed: false, paused: true, planVersion: 1 },
    });
  });

  it('every old route still answers for the default environment', async () => {
    await createFlag(ts, 'old-routes');
    expect((await ts.api('PUT', '/api/flags/old-routes/plan', { as: 'pm', body: plan })).status).toBe(200);
    expect((await ts.api('POST', '/api/flags/old-routes/pause', { as: 'oncall', body: { reason: 'p' } })).status).toBe(200);
    expect((await ts.api('POST', '/api/flags/old-routes/resume', { as: 'pm', body: { reason: 'r' } })).status).toBe(200);
    expect((await ts.api('POST', '/api/flags/old-routes/kill', { as: 'oncall', body: { reason: 'k' } })).status).toBe(200);
    expect((await ts.api('GET', '/api/flags/old-routes/usage', { as: 'viewer' })).status).toBe(200);
    expect((await ts.api('GET', '/api/flags/old-routes/propagation', { as: 'viewer' })).status).toBe(200);
    expect((await ts.api('GET', '/api/flags/old-routes/signoffs', { as: 'viewer' })).status).toBe(200);
    const f = await flag('old-routes');
    expect(f).toMatchObject({ killed: true, paused: false, planVersion: 1 });
    expect(f.environments).toMatchObject({ production: { killed: true, planVersion: 1 }, staging: { killed: false, planVersion: 0 } });
    const entries = await audit('flag=old-routes');
    expect(entries.length).toBeGreaterThanOrEqual(5);
    for (const e of entries) expect(e.environment).toBe('production');
  });

  it('a scoped route on an unknown or archived environment is a 404 naming it and changes nothing', async () => {
    await createFlag(ts, 'guarded');
    const unknown = await ts.api('POST', '/api/envs/qa/flags/guarded/kill', { as: 'oncall', body: { reason: 'x' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe('environment "qa" does not exist');
    const created = await ts.api<Environment>('POST', '/api/environments', { as: 'admin', body: { key: 'sandbox', name: 'Sandbox' } });
    expect((await ts.api('PATCH', '/api/environments/sandbox', { as: 'admin', body: { version: created.body.version, archived: true } })).status).toBe(200);
    const archived = await ts.api('PUT', '/api/envs/sandbox/flags/guarded/plan', { as: 'pm', body: plan });
    expect(archived.status).toBe(404);
    expect(archived.body.error.message).toBe('environment "sandbox" does not exist');
    const f = await flag('guarded');
    expect(f).toMatchObject({ killed: false, version: 1 });
    expect(Object.keys(f.environments!)).toEqual(['production', 'staging']);
    expect(await audit('flag=guarded&action=flag.kill')).toEqual([]);
  });

  it('a new environment gives every flag a fresh row with the same salt: a shared edit reaches every environment', async () => {
    await createFlag(ts, 'shared-edit', { description: 'one' });
    const dev = await ts.api('POST', '/api/environments', { as: 'admin', body: { key: 'development', name: 'Development', order: 0 } });
    expect(dev.status).toBe(201);
    expect((await flag('shared-edit')).environments).toHaveProperty('development', { stage: 0, percent: 0, killed: false, paused: false, planVersion: 0 });
    const patched = await ts.api('PATCH', '/api/flags/shared-edit', { as: 'engineer', body: { version: 1, description: 'two' } });
    expect(patched.status).toBe(200);
    const rows = await ts.running.storage.db.selectFrom('flags').select(['environment', 'description', 'salt', 'tags', 'owner']).where('key', '=', 'shared-edit').orderBy('environment').execute();
    expect(rows.map((r) => r.environment)).toEqual(['development', 'production', 'sandbox', 'staging'].filter((e) => e !== 'sandbox'));
    for (const r of rows) expect({ description: r.description, salt: r.salt, tags: r.tags, owner: r.owner }).toEqual({ description: 'two', salt: rows[0]!.salt, tags: rows[0]!.tags, owner: rows[0]!.owner });
  });

  it("the flag's own columns are the same in every environment's row of every flag, after creates, edits, kills, plans and an archive", async () => {
    await createFlag(ts, 'to-archive');
    await ts.api('PATCH', '/api/flags/to-archive', { as: 'engineer', body: { version: 1, tags: ['gone'], on: false, off: true } });
    expect((await ts.api('POST', '/api/flags/to-archive/archive', { as: 'engineer', body: { reason: 'done' } })).status).toBe(200);
    const rows = await ts.running.storage.db.selectFrom('flags').selectAll().orderBy('key').orderBy('environment').execute();
    const byKey = new Map<string, typeof rows>();
    for (const r of rows) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    expect(byKey.size).toBeGreaterThanOrEqual(6);
    const shared = (r: (typeof rows)[number]) => [r.description, r.owner, r.tags, r.on_value, r.off_value, r.salt, r.archived, r.archived_at, r.archived_by, r.created_at, r.created_by];
    for (const [key, list] of byKey) {
      expect(list.length, key).toBeGreaterThanOrEqual(3);
      for (const r of list) expect(shared(r), `${key} in ${r.environment}`).toEqual(shared(list[0]!));
    }
    expect(byKey.get('to-archive')!.every((r) => r.archived === 1 && r.tags === '["gone"]')).toBe(true);
  });
});
