import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkKillResult, FlagView } from '@switchyard-flags/sdk/api';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { onPostgres } from './helpers/test-db.js';

// Kills by tag or all within one environment, and across environments in one transaction (issue 23).

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer();
  for (const [key, order] of [['staging', 1], ['development', 2]] as const) {
    const r = await ts.api('POST', '/api/environments', { as: 'admin', body: { key, name: key, order } });
    if (r.status !== 201) throw new Error(`environment: ${r.status} ${r.text}`);
  }
  for (const key of ['ai-a', 'ai-b']) await createFlag(ts, key, { tags: ['ai'] });
  await createFlag(ts, 'billing', { tags: ['payments'] });
});
afterAll(() => ts.close());

const states = async (key: string) => (await ts.api<FlagView>('GET', `/api/flags/${key}`, { as: 'viewer' })).body.environments!;
const killedIn = async (key: string) => Object.entries(await states(key)).filter(([, s]) => s.killed).map(([e]) => e).sort();
const killAudit = async (key: string) =>
  (await ts.api<{ entries: Array<{ environment: string; after: { killId: string } }> }>('GET', `/api/audit?flag=${key}&action=flag.kill`, { as: 'admin' })).body.entries;

describe('kills across environments', () => {
  it('/api/envs/staging/kill by tag kills the tag in staging only', async () => {
    const r = await ts.api<BulkKillResult>('POST', '/api/envs/staging/kill', { as: 'oncall', body: { tag: 'ai', reason: 'staging provider down' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ killId: expect.any(String), killed: ['ai-a', 'ai-b'], alreadyKilled: [], environments: { staging: { killed: ['ai-a', 'ai-b'], alreadyKilled: [] } } });
    expect(await killedIn('ai-a')).toEqual(['staging']);
    expect(await killedIn('billing')).toEqual([]);
    for (const key of ['ai-a', 'ai-b']) await ts.api('POST', `/api/envs/staging/flags/${key}/restore`, { as: 'oncall', body: { reason: 'back' } });
    expect(await killedIn('ai-a')).toEqual([]);
  });

  it('"environments" on /api/envs/:env/kill is a 400, and an unknown environment in the list a 404; neither changes anything', async () => {
    const both = await ts.api('POST', '/api/envs/staging/kill', { as: 'oncall', body: { all: true, reason: 'x', environments: ['production'] } });
    expect(both.status).toBe(400);
    const unknown = await ts.api('POST', '/api/kill', { as: 'oncall', body: { all: true, reason: 'x', environments: ['staging', 'qa'] } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toBe('environment "qa" does not exist');
    for (const key of ['ai-a', 'ai-b', 'billing']) expect(await killedIn(key)).toEqual([]);
  });

  it('POST /api/kill with "environments": "*" kills in every environment under one kill id, audited per environment', async () => {
    const r = await ts.api<BulkKillResult>('POST', '/api/kill', { as: 'oncall', body: { tag: 'payments', reason: 'card processor outage', environments: '*' } });
    expect(r.status).toBe(200);
    expect(r.body.killed).toEqual(['billing']);
    expect(Object.keys(r.body.environments!).sort()).toEqual(['development', 'production', 'staging']);
    expect(await killedIn('billing')).toEqual(['development', 'production', 'staging']);
    const entries = await killAudit('billing');
    expect(entries.map((e) => e.environment).sort()).toEqual(['development', 'production', 'staging']);
    expect(new Set(entries.map((e) => e.after.killId))).toEqual(new Set([r.body.killId]));
    for (const env of ['development', 'production', 'staging']) await ts.api('POST', `/api/envs/${env}/flags/billing/restore`, { as: 'oncall', body: { reason: 'back' } });
  });

  it('a cross-environment kill is one transaction: when one environment fails, no environment is killed and nothing is audited', async () => {
    const db = ts.running.storage.db;
    // Make the database refuse a kill in staging only, as a failing write would.
    if (onPostgres) {
      await sql`CREATE FUNCTION refuse_staging_kill() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.environment = 'staging' AND NEW.killed = 1 THEN RAISE EXCEPTION 'staging refuses kills'; END IF; RETURN NEW; END $$`.execute(db);
      await sql`CREATE TRIGGER refuse_staging_kill BEFORE UPDATE ON flags FOR EACH ROW EXECUTE FUNCTION refuse_staging_kill()`.execute(db);
    } else {
      await sql`CREATE TRIGGER refuse_staging_kill BEFORE UPDATE ON flags WHEN NEW.environment = 'staging' AND NEW.killed = 1 BEGIN SELECT RAISE(ABORT, 'staging refuses kills'); END`.execute(db);
    }
    try {
      const r = await ts.api('POST', '/api/kill', { as: 'oncall', body: { tag: 'ai', reason: 'everything down', environments: ['production', 'staging', 'development'] } });
      expect(r.status).toBeGreaterThanOrEqual(500);
      for (const key of ['ai-a', 'ai-b']) {
        expect(await killedIn(key)).toEqual([]);
        expect((await killAudit(key)).filter((e) => e.after.killId !== undefined && e.environment !== 'staging')).toEqual([]);
      }
    } finally {
      await sql`DROP TRIGGER refuse_staging_kill${sql.raw(onPostgres ? ' ON flags' : '')}`.execute(db);
    }
    const again = await ts.api<BulkKillResult>('POST', '/api/kill', { as: 'oncall', body: { tag: 'ai', reason: 'everything down', environments: ['production', 'staging'] } });
    expect(again.status).toBe(200);
    expect(await killedIn('ai-a')).toEqual(['production', 'staging']);
  });

  it('POST /api/restore with the kill id of a cross-environment kill undoes it in every environment it killed in, and only there', async () => {
    await ts.api('POST', '/api/envs/development/flags/ai-b/kill', { as: 'oncall', body: { reason: 'own kill in development' } });
    const kill = await ts.api<BulkKillResult>('POST', '/api/kill', { as: 'oncall', body: { all: true, reason: 'all down', environments: ['staging', 'development'] } });
    expect(kill.status).toBe(200);
    expect(kill.body.environments).toMatchObject({ development: { alreadyKilled: expect.arrayContaining(['ai-b']) } });
    const undo = await ts.api('POST', '/api/restore', { as: 'oncall', body: { killId: kill.body.killId, reason: 'all back' } });
    expect(undo.status).toBe(200);
    // This kill killed ai-a in development and billing in staging and development: exactly those come back.
    expect([...undo.body.restored].sort()).toEqual(['ai-a', 'billing']);
    // ai-a in production and staging were killed by the earlier kill, ai-b everywhere by others: they stay killed.
    expect(await killedIn('ai-a')).toEqual(['production', 'staging']);
    expect(await killedIn('ai-b')).toEqual(['development', 'production', 'staging']);
    expect(await killedIn('billing')).toEqual([]);
  });

  it('/api/envs/staging/restore by tag restores the tag in staging only, and GET /api/envs/staging/flags/:key says who killed it there and why', async () => {
    const kill = await ts.api<BulkKillResult>('POST', '/api/envs/staging/kill', { as: 'oncall', body: { tag: 'payments', reason: 'staging card sandbox down' } });
    expect(kill.status).toBe(200);
    await ts.api('POST', '/api/envs/development/flags/billing/kill', { as: 'oncall', body: { reason: 'development too' } });
    const there = await ts.api<FlagView>('GET', '/api/envs/staging/flags/billing', { as: 'viewer' });
    expect(there.status).toBe(200);
    expect(there.body).toMatchObject({ key: 'billing', killed: true, killedBy: 'oncall-user', killReason: 'staging card sandbox down' });
    expect((await ts.api<FlagView>('GET', '/api/flags/billing', { as: 'viewer' })).body).toMatchObject({ killed: false, killReason: null });
    expect((await ts.api('GET', '/api/envs/qa/flags/billing', { as: 'viewer' })).status).toBe(404);

    const undo = await ts.api('POST', '/api/envs/staging/restore', { as: 'oncall', body: { tag: 'payments', reason: 'sandbox back' } });
    expect(undo.status).toBe(200);
    expect(undo.body.restored).toEqual(['billing']);
    expect(await killedIn('billing')).toEqual(['development']);
    await ts.api('POST', '/api/envs/development/flags/billing/restore', { as: 'oncall', body: { reason: 'back' } });
  });
});
