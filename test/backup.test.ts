import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

let ts: TestServer;
beforeAll(async () => {
  // This file pins the plain hash chain; signed checkpoints (which would also catch the cut-off
  // end once one covers it) have their own tests in audit-checkpoints.test.ts.
  ts = await startTestServer({ config: { checkpointEvery: 1_000_000 } });
});
afterAll(() => ts.close());

describe('backups', () => {
  it('a backup taken while writes keep landing opens, verifies, and holds every change acknowledged before it began', async () => {
    for (let i = 0; i < 20; i++) await createFlag(ts, `pre-${i}`);
    const before = (await ts.api('GET', '/api/audit/verify', { as: 'admin' })).body;
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing && written < 400) {
        const res = await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: `during-${written}`, owner: 'o' } });
        expect(res.status).toBe(201);
        written++;
      }
    })();
    const file = path.join(ts.dataDir, 'backup.db');
    const r = await cli(['backup', file], { DATA_DIR: ts.dataDir });
    writing = false;
    await writer;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('chain verified');
    const copy = new Database(file, { readonly: true });
    const count = (copy.prepare('select count(*) as n from audit').get() as { n: number }).n;
    const preFlags = (copy.prepare("select count(*) as n from flags where key like 'pre-%'").get() as { n: number }).n;
    copy.close();
    expect(preFlags).toBe(20);
    expect(count).toBeGreaterThanOrEqual(before.count);
    const v = await cli(['verify-audit', file], { DATA_DIR: ts.dataDir });
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, count });
  });

  it('verify-audit names a tampered entry in a copy, and catches a cut-off end against a kept head', async () => {
    await createFlag(ts, 'tamper-me');
    const head = (await ts.api('GET', '/api/audit/verify', { as: 'admin' })).body;
    const file = path.join(ts.dataDir, 'tampered.db');
    expect((await cli(['backup', file], { DATA_DIR: ts.dataDir })).code).toBe(0);
    const db = new Database(file);
    db.exec('drop trigger audit_no_update; drop trigger audit_no_delete');
    db.prepare('delete from audit where seq = ?').run(head.count);
    db.close();
    const plain = await cli(['verify-audit', file], { DATA_DIR: ts.dataDir });
    expect(plain.code).toBe(0);
    const anchored = await cli(['verify-audit', file, '--expect-head', head.head], { DATA_DIR: ts.dataDir });
    expect(anchored.code).toBe(1);
    expect(JSON.parse(anchored.stdout).problem).toContain('not in the chain');
    const db2 = new Database(file);
    db2.prepare("update audit set actor = 'mallory' where seq = 3").run();
    db2.close();
    const broken = await cli(['verify-audit', file], { DATA_DIR: ts.dataDir });
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, firstBad: 3 });
  });

  it('the API verify also checks against a kept head', async () => {
    const head = (await ts.api('GET', '/api/audit/verify', { as: 'admin' })).body.head;
    const ok = await ts.api('GET', `/api/audit/verify?expectHead=${head}`, { as: 'viewer' });
    expect(ok.body.ok).toBe(true);
    const unknown = await ts.api('GET', `/api/audit/verify?expectHead=${'a'.repeat(64)}`, { as: 'viewer' });
    expect(unknown.body).toMatchObject({ ok: false, firstBad: null });
    expect((await ts.api('GET', '/api/audit/verify?expectHead=nothex', { as: 'viewer' })).status).toBe(400);
  });
});
