import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { entryHash } from '../server/audit/audit-hash.js';
import { cli } from './helpers/cli.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanup) await c();
});

/** The attack of issue 20 #5 on the SQLite file: drop the triggers, edit entry `seq`, re-hash the chain, delete every stored checkpoint. */
function launder(file: string, seq: number, reason: string): void {
  const db = new Database(file);
  db.exec('drop trigger audit_no_update; drop trigger audit_no_delete; drop trigger if exists audit_checkpoints_no_delete; delete from audit_checkpoints');
  const rows = db.prepare('select * from audit order by seq').all() as any[];
  let prev = '0'.repeat(64);
  const update = db.prepare('update audit set reason = ?, prev_hash = ?, hash = ? where seq = ?');
  for (const row of rows) {
    const r = { ...row, prev_hash: prev, reason: row.seq === seq ? reason : row.reason };
    r.hash = entryHash(prev, r);
    update.run(r.reason, r.prev_hash, r.hash, r.seq);
    prev = r.hash;
  }
  db.close();
}

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
    launder(ts.running.config.dbFile, 1, 'nothing to see');

    const again = await startTestServer({ dataDir: ts.dataDir, config: { checkpointEvery: 2 } });
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

    const alone = await cli(['verify-audit', again.running.config.dbFile], { DATA_DIR: ts.dataDir });
    expect(JSON.parse(alone.stdout)).toMatchObject({ ok: true });
    const withLog = await cli(['verify-audit', again.running.config.dbFile, '--checkpoints', logFile], { DATA_DIR: ts.dataDir });
    expect(withLog.code).toBe(1);
    expect(JSON.parse(withLog.stdout)).toMatchObject({ ok: false, checkpoint: { seq: 2 } });
  });

  it('a server whose stored checkpoints are intact keeps signing and /readyz has nothing to say about the audit', async () => {
    const ts = await startTestServer({ config: { checkpointEvery: 2 } });
    cleanup.push(() => ts.close());
    for (let i = 0; i < 3; i++) await createFlag(ts, `intact-${i}`);
    await ts.running.checkpoints.settled();
    await ts.stop();
    const again = await startTestServer({ dataDir: ts.dataDir, config: { checkpointEvery: 2 } });
    cleanup.push(() => again.close());
    for (let i = 0; i < 2; i++) await createFlag(again, `intact-more-${i}`);
    await again.running.checkpoints.settled();
    expect((await again.api('GET', '/api/audit/checkpoints', { as: 'viewer' })).body.checkpoints[0].seq).toBe(5); // the head, signed after the restart
    expect(JSON.stringify((await again.api('GET', '/readyz')).body)).not.toContain('checkpoint');
    expect((await again.api('GET', '/metrics', { as: 'admin' })).text).toMatch(/^switchyard_audit_checkpoint_refused 0$/m);
  });
});
