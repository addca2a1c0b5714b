import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { auditTriggerOff } from './helpers/test-db.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
  await createFlag(ts, 'chained', { tags: ['ai'] });
  await ts.api('POST', '/api/flags/chained/kill', { as: 'oncall', body: { reason: 'cost spike' } });
  await ts.api('POST', '/api/flags/chained/restore', { as: 'oncall', body: { reason: 'fixed' } });
  await createFlag(ts, 'other');
  await ts.api('PATCH', '/api/flags/other', { as: 'engineer', body: { version: 1, description: 'edited' } });
});
afterAll(() => ts.close());

const verify = async () => (await ts.api('GET', '/api/audit/verify', { as: 'viewer' })).body;

describe('the audit trail', () => {
  it('links every entry to the one before it, and verify recomputes the chain', async () => {
    const page = await ts.api('GET', '/api/audit?limit=500', { as: 'viewer' });
    const entries = [...page.body.entries].reverse();
    expect(entries.length).toBeGreaterThanOrEqual(5);
    expect(entries[0].prevHash).toBe('0'.repeat(64));
    for (let i = 1; i < entries.length; i++) {
      expect(entries[i].seq).toBe(entries[i - 1].seq + 1);
      expect(entries[i].prevHash).toBe(entries[i - 1].hash);
    }
    const v = await verify();
    expect(v).toEqual({ ok: true, count: entries.length, head: entries[entries.length - 1].hash });
  });

  it('filters by flag, actor and action, newest first, with a cursor that pages through everything', async () => {
    const byFlag = await ts.api('GET', '/api/audit?flag=chained', { as: 'viewer' });
    expect(byFlag.body.entries.map((e: any) => e.action)).toEqual(['flag.restore', 'flag.kill', 'flag.create']);
    const byActor = await ts.api('GET', '/api/audit?actor=oncall-user', { as: 'viewer' });
    expect(byActor.body.entries.every((e: any) => e.actor === 'oncall-user')).toBe(true);
    const byPrefix = await ts.api('GET', '/api/audit?action=flag.', { as: 'viewer' });
    expect(byPrefix.body.entries.length).toBeGreaterThanOrEqual(5);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await ts.api('GET', `/api/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { as: 'viewer' });
      expect(res.body.entries.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.entries.map((e: any) => e.seq));
      cursor = res.body.next;
    } while (cursor);
    const total = (await verify()).count;
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => total - i));
  });

  it('filters by time range', async () => {
    const future = await ts.api('GET', '/api/audit?from=2999-01-01T00:00:00Z', { as: 'viewer' });
    expect(future.body.entries).toEqual([]);
    const past = await ts.api('GET', '/api/audit?from=2000-01-01T00:00:00Z&to=2999-01-01T00:00:00Z', { as: 'viewer' });
    expect(past.body.entries.length).toBe((await verify()).count);
    const bad = await ts.api('GET', '/api/audit?from=yesterday', { as: 'viewer' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('from');
  });

  it('exports as JSON lines and CSV, oldest first', async () => {
    const total = (await verify()).count;
    const jsonl = await ts.api('GET', '/api/audit/export?format=jsonl', { as: 'viewer' });
    const lines = jsonl.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const csv = await ts.api('GET', '/api/audit/export?format=csv&flag=chained', { as: 'viewer' });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const rows = csv.text.trim().split('\n');
    expect(rows[0]).toBe('seq,at,actor,role,action,flag,reason,requestId,before,after,prevHash,hash,environment');
    expect(rows).toHaveLength(4);
    expect(rows[2]).toContain('"flag.kill"');
    expect(rows[2]).toContain('"cost spike"');
  });

  it('refuses UPDATE and DELETE of audit rows in the database itself', async () => {
    // Straight to the database (SQLite or PostgreSQL), past every route and service.
    const db = ts.running.storage.db;
    const before = await db.selectFrom('audit').selectAll().where('seq', '=', 2).executeTakeFirstOrThrow();
    await expect(sql`update audit set reason = 'nothing happened' where seq = 2`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit where seq = 2`.execute(db)).rejects.toThrow(/append-only/);
    expect(await db.selectFrom('audit').selectAll().where('seq', '=', 2).executeTakeFirst()).toEqual(before);
  });
});

describe('tampering', () => {
  it('an entry edited directly in the database is named by verify', async () => {
    const t = await startTestServer();
    try {
      await createFlag(t, 'a');
      await t.api('POST', '/api/flags/a/kill', { as: 'oncall', body: { reason: 'real reason' } });
      await t.api('POST', '/api/flags/a/restore', { as: 'oncall', body: { reason: 'ok' } });
      const db = t.running.storage.db;
      await auditTriggerOff(db, 'update');
      await sql`update audit set reason = 'routine maintenance' where seq = 2`.execute(db);
      const v = (await t.api('GET', '/api/audit/verify', { as: 'viewer' })).body;
      expect(v).toMatchObject({ ok: false, firstBad: 2, count: 1 });
      expect(v.problem).toContain('altered');
    } finally {
      await t.close();
    }
  });

  it('an entry removed from the middle is caught at the gap', async () => {
    const t = await startTestServer();
    try {
      await createFlag(t, 'a');
      await createFlag(t, 'b');
      await createFlag(t, 'c');
      const db = t.running.storage.db;
      await auditTriggerOff(db, 'delete');
      await sql`delete from audit where seq = 2`.execute(db);
      const v = (await t.api('GET', '/api/audit/verify', { as: 'viewer' })).body;
      expect(v).toMatchObject({ ok: false, firstBad: 3 });
      expect(v.problem).toContain('missing');
    } finally {
      await t.close();
    }
  });

  it('a rewritten entry with a recomputed hash still breaks the link to the next one', async () => {
    const t = await startTestServer();
    try {
      await createFlag(t, 'a');
      await createFlag(t, 'b');
      const { entryHash } = await import('../server/audit/audit-hash.js');
      const db = t.running.storage.db;
      await auditTriggerOff(db, 'update');
      const row = await db.selectFrom('audit').selectAll().where('seq', '=', 1).executeTakeFirstOrThrow();
      const forged = { ...row, actor: 'someone-else' };
      await sql`update audit set actor = ${forged.actor}, hash = ${entryHash(row.prev_hash, forged)} where seq = 1`.execute(db);
      const v = (await t.api('GET', '/api/audit/verify', { as: 'viewer' })).body;
      expect(v).toMatchObject({ ok: false, firstBad: 2 });
      expect(v.problem).toContain('does not link');
    } finally {
      await t.close();
    }
  });
});
