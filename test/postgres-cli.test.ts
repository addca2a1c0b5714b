import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

/** The CLI and the audit routes against a server on PostgreSQL (a real embedded cluster). */
let pg: TestPostgres;
let ts: TestServer;
let url: string;

beforeAll(async () => {
  pg = await startPostgres();
  url = await pg.createDatabase();
  // No signed checkpoint yet: this file is about the chain itself on PostgreSQL.
  ts = await startTestServer({ config: { databaseUrl: url, checkpointEvery: 1_000_000 } });
  for (let i = 0; i < 5; i++) await createFlag(ts, `cli-${i}`);
  await ts.api('POST', '/api/flags/cli-2/kill', { as: 'oncall', body: { reason: 'verify me' } });
}, 120_000);

afterAll(async () => {
  await ts?.close();
  await pg?.stop();
});

describe('the audit trail on PostgreSQL', () => {
  it('GET /api/audit/verify answers ok with the head, and the export holds every entry in order', async () => {
    const v = await ts.api('GET', '/api/audit/verify', { as: 'viewer' });
    expect(v.body).toMatchObject({ ok: true, count: 6 });
    const anchored = await ts.api('GET', `/api/audit/verify?expectHead=${v.body.head}`, { as: 'viewer' });
    expect(anchored.body.ok).toBe(true);
    const exported = await ts.api('GET', '/api/audit/export', { as: 'viewer' });
    expect(exported.status).toBe(200);
    const lines = exported.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(lines[5]).toMatchObject({ action: 'flag.kill', flag: 'cli-2', hash: v.body.head });
  });

  it('switchyard verify-audit --database-url checks the chain on PostgreSQL, against a kept head too, and names a tampered entry', async () => {
    const head = (await ts.api('GET', '/api/audit/verify', { as: 'viewer' })).body.head;
    const plain = await cli(['verify-audit', '--database-url', url], { DATA_DIR: ts.dataDir });
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout)).toMatchObject({ ok: true, count: 6, head });
    const elsewhere = await cli(['verify-audit', '--database-url', url, '--expect-head', 'b'.repeat(64)], { DATA_DIR: ts.dataDir });
    expect(elsewhere.code).toBe(1);
    expect(JSON.parse(elsewhere.stdout)).toMatchObject({ ok: false });

    // Tampering needs a superuser to switch the append-only trigger off first.
    await sql`ALTER TABLE audit DISABLE TRIGGER audit_no_update`.execute(ts.running.storage.db);
    await sql`UPDATE audit SET actor = 'mallory' WHERE seq = 3`.execute(ts.running.storage.db);
    await sql`ALTER TABLE audit ENABLE TRIGGER audit_no_update`.execute(ts.running.storage.db);
    const broken = await cli(['verify-audit', '--database-url', url], { DATA_DIR: ts.dataDir });
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, firstBad: 3 });
    expect((await ts.api('GET', '/api/audit/verify', { as: 'viewer' })).body).toMatchObject({ ok: false, firstBad: 3 });
  }, 60_000);

  it('verify-audit refuses a file and --database-url together, and a URL that is not postgres', async () => {
    const both = await cli(['verify-audit', 'some.db', '--database-url', url]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('not both');
    const bad = await cli(['verify-audit', '--database-url', 'mysql://h/db']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('DATABASE_URL must be a postgres://');
  }, 60_000);
});

describe('the CLI with DATABASE_URL', () => {
  it('backup refuses and names pg_dump, writing nothing', async () => {
    const r = await cli(['backup', `${ts.dataDir}/copy.db`], { DATA_DIR: ts.dataDir, DATABASE_URL: url });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pg_dump');
    expect(r.stdout).toBe('');
  }, 60_000);

  it('sdk-key and revoke-token write to the PostgreSQL database the server serves from, audited', async () => {
    const key = await cli(['sdk-key', '--name', 'pg-service'], { DATA_DIR: ts.dataDir, DATABASE_URL: url });
    expect(key.code).toBe(0);
    expect(key.stdout).toMatch(/^sy_sdk_[\w-]{43}\n$/);
    const keys = await ts.api('GET', '/api/sdk-keys', { as: 'admin' });
    expect(keys.body.keys.map((k: any) => k.name)).toContain('pg-service');
    const token = await ts.token('viewer', 'cli-leaver');
    const revoked = await cli(['revoke-token', '--sub', 'cli-leaver', '--reason', 'left'], { DATA_DIR: ts.dataDir, DATABASE_URL: url });
    expect(revoked.code).toBe(0);
    // Another process committed it: the server's poll picks it up.
    await expect.poll(async () => (await ts.api('GET', '/api/flags', { token })).status, { timeout: 10_000, interval: 100 }).toBe(401);
    const audit = await ts.api('GET', '/api/audit?action=token.revoke', { as: 'admin' });
    expect(audit.body.entries[0].actor).toMatch(/^cli:/);
  }, 60_000);
});
