import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { entryHash } from '../server/audit/audit-hash.js';
import { openStorage } from '../server/storage/open.js';
import { cli } from './helpers/cli.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanup) await c();
});

/**
 * The attack of issue 20 #5, on either database: drop the append-only triggers, edit entry
 * `seq`, re-hash the whole chain, delete every stored checkpoint.
 */
async function launder(ts: TestServer, seq: number, reason: string): Promise<void> {
  const { config } = ts.running;
  const opened = openStorage({ databaseUrl: config.databaseUrl, dbFile: config.dbFile });
  const db = opened.db;
  try {
    if (config.databaseUrl) {
      for (const t of ['audit_no_update ON audit', 'audit_no_delete ON audit', 'audit_checkpoints_no_delete ON audit_checkpoints', 'audit_checkpoints_no_truncate ON audit_checkpoints']) {
        await sql.raw(`DROP TRIGGER IF EXISTS ${t}`).execute(db);
      }
    } else {
      await sql.raw('DROP TRIGGER IF EXISTS audit_no_update').execute(db);
      await sql.raw('DROP TRIGGER IF EXISTS audit_no_delete').execute(db);
      await sql.raw('DROP TRIGGER IF EXISTS audit_checkpoints_no_delete').execute(db);
    }
    await db.deleteFrom('audit_checkpoints').execute();
    const rows = await db.selectFrom('audit').selectAll().orderBy('seq').execute();
    let prev = '0'.repeat(64);
    for (const row of rows) {
      const r = { ...row, prev_hash: prev, reason: row.seq === seq ? reason : row.reason };
      r.hash = entryHash(prev, r);
      await db.updateTable('audit').set({ reason: r.reason, prev_hash: r.prev_hash, hash: r.hash }).where('seq', '=', r.seq).execute();
      prev = r.hash;
    }
  } finally {
    await opened.close();
  }
}

/** verify-audit on the server's database (its file, or --database-url). */
const verifyArgs = (ts: TestServer) => (ts.running.config.databaseUrl ? ['verify-audit', '--database-url', ts.running.config.databaseUrl] : ['verify-audit', ts.running.config.dbFile]);

describe('checkpoints that cannot be laundered', () => {
  it('after the chain is rewritten and the stored checkpoints deleted, the restarted server signs nothing over the forged head and says so in /readyz, /metrics and the log; verify-audit --checkpoints CHECKPOINT_LOG catches the rewrite', async () => {
    const ts = await startTestServer({ config: { checkpointEvery: 2 } });
    cleanup.push(() => ts.close());
    for (let i = 0; i < 4; i++) await createFlag(ts, `launder-${i}`);
    await ts.running.checkpoints.settled();
    const logFile = path.join(ts.dataDir, 'checkpoints.log');
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((c) => c.seq)).toEqual([2, 4]);
    expect((fs.statSync(logFile).mode & 0o777).toString(8)).toBe('600');
    await ts.stop();
    await launder(ts, 1, 'nothing to see');

    const again = await startTestServer({ dataDir: ts.dataDir, config: { checkpointEvery: 2, databaseUrl: ts.databaseUrl } });
    cleanup.push(() => again.close());
    for (let i = 0; i < 3; i++) await createFlag(again, `after-${i}`);
    await again.running.checkpoints.take();
    await again.running.checkpoints.settled();
    // Nothing signed over the forged head.
    expect((await again.api('GET', '/api/audit/checkpoints', { as: 'viewer' })).body.checkpoints).toEqual([]);
    expect(fs.readFileSync(logFile, 'utf8').trim().split('\n')).toHaveLength(2);
    const ready = await again.api('GET', '/readyz');
    expect(ready.status).toBe(200); // kills still land: the audit is not a reason to stop serving
    expect(JSON.stringify(ready.body)).toContain('checkpoint 4');
    expect((await again.api('GET', '/metrics', { as: 'admin' })).text).toMatch(/^switchyard_audit_checkpoint_refused 1$/m);
    expect(again.logs.map((l) => JSON.parse(l)).some((l: any) => l.level === 50 && /refusing to sign an audit checkpoint/.test(l.msg) && /checkpoint 4/.test(l.msg))).toBe(true);
    await again.stop();

    const alone = await cli(verifyArgs(again), { DATA_DIR: ts.dataDir });
    expect(JSON.parse(alone.stdout)).toMatchObject({ ok: true });
    const withLog = await cli([...verifyArgs(again), '--checkpoints', logFile], { DATA_DIR: ts.dataDir });
    expect(withLog.code).toBe(1);
    expect(JSON.parse(withLog.stdout)).toMatchObject({ ok: false, checkpoint: { seq: 2 } });
  });

  it('each checkpoint names the previous one, so a checkpoint deleted from the middle of the store is caught by verify-audit although every remaining one still matches', async () => {
    const ts = await startTestServer({ config: { checkpointEvery: 2 } });
    cleanup.push(() => ts.close());
    for (let i = 0; i < 6; i++) await createFlag(ts, `linked-${i}`);
    await ts.running.checkpoints.settled();
    const cps = (await ts.api('GET', '/api/audit/checkpoints', { as: 'viewer' })).body.checkpoints;
    const seqs = cps.map((c: any) => c.seq);
    expect(seqs.length).toBeGreaterThanOrEqual(3);
    expect(cps[cps.length - 1].prev).toBeUndefined(); // the first one has none
    for (const c of cps.slice(0, -1)) expect(c.prev).toMatch(/^[0-9a-f]{64}$/);
    await ts.stop();
    const clean = await cli(verifyArgs(ts), { DATA_DIR: ts.dataDir });
    expect(clean.code, clean.stdout).toBe(0);
    const middle = seqs[1];
    const opened = openStorage({ databaseUrl: ts.running.config.databaseUrl, dbFile: ts.running.config.dbFile });
    try {
      await sql.raw(ts.running.config.databaseUrl ? 'DROP TRIGGER IF EXISTS audit_checkpoints_no_delete ON audit_checkpoints' : 'DROP TRIGGER IF EXISTS audit_checkpoints_no_delete').execute(opened.db);
      await opened.db.deleteFrom('audit_checkpoints').where('seq', '=', middle).execute();
    } finally {
      await opened.close();
    }
    const caught = await cli(verifyArgs(ts), { DATA_DIR: ts.dataDir });
    expect(caught.code).toBe(1);
    const result = JSON.parse(caught.stdout);
    expect(result).toMatchObject({ ok: false, checkpoint: { seq: seqs[0] } });
    expect(result.problem).toContain('were deleted');
  });

  it('an entry edited after the last checkpoint (without re-hashing) is refused a signature by the running server', async () => {
    const ts = await startTestServer({ config: { checkpointEvery: 1000 } });
    cleanup.push(() => ts.close());
    for (let i = 0; i < 2; i++) await createFlag(ts, `edited-${i}`);
    expect(await ts.running.checkpoints.take()).toMatchObject({ seq: 2 });
    for (let i = 2; i < 4; i++) await createFlag(ts, `edited-${i}`);
    const opened = openStorage({ databaseUrl: ts.running.config.databaseUrl, dbFile: ts.running.config.dbFile });
    try {
      await sql.raw(ts.running.config.databaseUrl ? 'DROP TRIGGER IF EXISTS audit_no_update ON audit' : 'DROP TRIGGER IF EXISTS audit_no_update').execute(opened.db);
      await opened.db.updateTable('audit').set({ reason: 'it was always like this' }).where('seq', '=', 3).execute();
    } finally {
      await opened.close();
    }
    expect(await ts.running.checkpoints.take()).toBeNull();
    expect(ts.running.checkpoints.refused).toContain('entry 3 was altered');
    expect((await ts.api('GET', '/api/audit/checkpoints', { as: 'viewer' })).body.checkpoints.map((c: any) => c.seq)).toEqual([2]);
  });

  it('a server whose stored checkpoints are intact keeps signing and /readyz has nothing to say about the audit', async () => {
    const ts = await startTestServer({ config: { checkpointEvery: 2 } });
    cleanup.push(() => ts.close());
    for (let i = 0; i < 3; i++) await createFlag(ts, `intact-${i}`);
    await ts.running.checkpoints.settled();
    await ts.stop();
    const again = await startTestServer({ dataDir: ts.dataDir, config: { checkpointEvery: 2, databaseUrl: ts.databaseUrl } });
    cleanup.push(() => again.close());
    for (let i = 0; i < 2; i++) await createFlag(again, `intact-more-${i}`);
    await again.running.checkpoints.settled();
    expect((await again.api('GET', '/api/audit/checkpoints', { as: 'viewer' })).body.checkpoints[0].seq).toBe(5); // the head, signed after the restart
    expect(JSON.stringify((await again.api('GET', '/readyz')).body)).not.toContain('checkpoint');
    expect((await again.api('GET', '/metrics', { as: 'admin' })).text).toMatch(/^switchyard_audit_checkpoint_refused 0$/m);
  });
});
