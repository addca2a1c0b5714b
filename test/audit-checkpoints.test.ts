import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditService } from '../server/audit/audit-service.js';
import { entryHash } from '../server/audit/audit-hash.js';
import type { Config } from '../server/config.js';
import type { Database as Schema } from '../server/storage/schema.js';
import { cli } from './helpers/cli.js';
import { createFlag, startTestServer, tempDataDir, type TestServer } from './helpers/server.js';
import { LOOPBACK_RECEIVERS, webhookServer } from './rollout-fixtures.js';

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanup) await c();
});

async function server(config: Partial<Config> = {}): Promise<TestServer> {
  const ts = await startTestServer({ config });
  cleanup.push(() => ts.close());
  return ts;
}

/** What an attacker with the database file (but not the key file) can do: drop the triggers, edit, re-hash. */
function rewrite(file: string, seq: number, reason: string): void {
  const db = new Database(file);
  db.exec('drop trigger audit_no_update; drop trigger audit_no_delete');
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

async function chainOnly(file: string) {
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: new Database(file, { readonly: true }) }) });
  try {
    return await new AuditService(db).verify();
  } finally {
    await db.destroy();
  }
}

describe('signed audit checkpoints', () => {
  it('a chain re-hashed after dropping the triggers passes the chain check alone, and verify-audit against the signed checkpoints names the first that no longer matches', async () => {
    const ts = await server({ checkpointEvery: 3 });
    for (let i = 0; i < 7; i++) await createFlag(ts, `f${i}`);
    await ts.running.checkpoints.settled();
    const page = await ts.api('GET', '/api/audit/checkpoints', { as: 'viewer' });
    expect(page.status).toBe(200);
    expect(page.body.checkpoints.map((c: any) => c.seq)).toEqual([6, 3]);
    const pub = path.join(ts.dataDir, 'checkpoint-public.pem');
    fs.writeFileSync(pub, page.body.publicKey.pem);
    await ts.stop();
    const file = ts.running.config.dbFile;

    const clean = await cli(['verify-audit', file, '--public-key', pub]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ ok: true, count: 7, checkpoints: { checked: 2, latest: { seq: 6 }, unvouched: 1 } });

    rewrite(file, 5, 'routine maintenance');
    expect(await chainOnly(file)).toMatchObject({ ok: true, count: 7 });

    const caught = await cli(['verify-audit', file, '--public-key', pub]);
    expect(caught.code).toBe(1);
    const result = JSON.parse(caught.stdout);
    expect(result).toMatchObject({ ok: false, checkpoint: { seq: 6 } });
    expect(result.problem).toContain('checkpoint 6');
    // With the server's key file reachable (DATA_DIR), no --public-key is needed.
    const byKeyFile = await cli(['verify-audit', file], { DATA_DIR: ts.dataDir });
    expect(JSON.parse(byKeyFile.stdout)).toMatchObject({ ok: false, checkpoint: { seq: 6 } });
  });

  it('the server checks its own stored checkpoints with its own key at GET /api/audit/checkpoints/verify, where the chain-only verify says ok', async () => {
    const ts = await server({ checkpointEvery: 2 });
    for (let i = 0; i < 5; i++) await createFlag(ts, `f${i}`);
    await ts.running.checkpoints.settled();
    expect((await ts.api('GET', '/api/audit/checkpoints/verify', { as: 'viewer' })).body).toMatchObject({
      ok: true,
      count: 5,
      checkpoints: { checked: 2, latest: { seq: 4 }, unvouched: 1 },
    });
    await ts.stop();
    rewrite(ts.running.config.dbFile, 3, 'nothing happened');
    const again = await startTestServer({ dataDir: ts.dataDir });
    cleanup.push(() => again.close());
    expect((await again.api('GET', '/api/audit/verify', { as: 'viewer' })).body).toMatchObject({ ok: true, count: 5 });
    const checked = await again.api('GET', '/api/audit/checkpoints/verify', { as: 'viewer' });
    expect(checked.status).toBe(200);
    expect(checked.body).toMatchObject({ ok: false, checkpoint: { seq: 4 } });
    expect(checked.body.problem).toContain('checkpoint 4');
  });

  it('an exported copy of the checkpoints still catches the rewrite when the attacker also emptied the table, or re-signed with a key of their own', async () => {
    const ts = await server({ checkpointEvery: 2 });
    for (let i = 0; i < 4; i++) await createFlag(ts, `f${i}`);
    await ts.running.checkpoints.settled();
    const page = await ts.api('GET', '/api/audit/checkpoints?limit=500', { as: 'pm' });
    const kept = path.join(ts.dataDir, 'kept-checkpoints.json');
    fs.writeFileSync(kept, page.text);
    const jwk = path.join(ts.dataDir, 'public.jwk');
    fs.writeFileSync(jwk, JSON.stringify(page.body.publicKey.jwk));
    await ts.stop();
    const file = ts.running.config.dbFile;
    rewrite(file, 1, 'nothing to see');
    const db = new Database(file);
    db.exec('drop trigger if exists audit_checkpoints_no_delete; delete from audit_checkpoints');
    db.close();

    const alone = await cli(['verify-audit', file, '--public-key', jwk]);
    expect(JSON.parse(alone.stdout)).toMatchObject({ ok: true, checkpoints: { checked: 0, latest: null, unvouched: 4 } });
    const withCopy = await cli(['verify-audit', file, '--public-key', jwk, '--checkpoints', kept]);
    expect(withCopy.code).toBe(1);
    expect(JSON.parse(withCopy.stdout)).toMatchObject({ ok: false, checkpoint: { seq: 2 } });

    // Forged checkpoints (the attacker's own key) do not verify with the server's public key.
    const mallory = crypto.generateKeyPairSync('ed25519');
    const forgedHead = (new Database(file, { readonly: true }).prepare('select hash from audit where seq = 4').get() as any).hash;
    const forged = { seq: 4, head: forgedHead, at: new Date().toISOString(), keyId: page.body.publicKey.keyId, signature: '' };
    forged.signature = crypto
      .sign(null, Buffer.from(JSON.stringify(['switchyard.audit-checkpoint.v1', forged.seq, forged.head, forged.at])), mallory.privateKey)
      .toString('base64url');
    const forgedFile = path.join(ts.dataDir, 'forged.jsonl');
    fs.writeFileSync(forgedFile, JSON.stringify(forged) + '\n');
    const bad = await cli(['verify-audit', file, '--public-key', jwk, '--checkpoints', forgedFile]);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, checkpoint: { seq: 4 } });
    expect(JSON.parse(bad.stdout).problem).toContain('signature');
  });

  it('entries cut off before the last checkpoint are caught; after it they are not (the documented limit)', async () => {
    const ts = await server({ checkpointEvery: 3 });
    for (let i = 0; i < 5; i++) await createFlag(ts, `f${i}`);
    await ts.running.checkpoints.settled();
    const pub = path.join(ts.dataDir, 'pub.pem');
    fs.writeFileSync(pub, (await ts.api('GET', '/api/audit/checkpoints', { as: 'admin' })).body.publicKey.pem);
    await ts.stop();
    const file = ts.running.config.dbFile;
    const db = new Database(file);
    db.exec('drop trigger audit_no_delete');
    db.prepare('delete from audit where seq > 4').run();
    db.close();
    expect((await cli(['verify-audit', file, '--public-key', pub])).code).toBe(0);
    const db2 = new Database(file);
    db2.prepare('delete from audit where seq > 2').run();
    db2.close();
    const cut = await cli(['verify-audit', file, '--public-key', pub]);
    expect(cut.code).toBe(1);
    expect(JSON.parse(cut.stdout)).toMatchObject({ ok: false, checkpoint: { seq: 3 } });
    expect(JSON.parse(cut.stdout).problem).toContain('missing');
  });

  it('a backup checks the copy against the signed checkpoints with the key file of its DATA_DIR', async () => {
    const ts = await server({ checkpointEvery: 2 });
    for (let i = 0; i < 4; i++) await createFlag(ts, `f${i}`);
    await ts.running.checkpoints.settled();
    const r = await cli(['backup', path.join(ts.dataDir, 'copy.db')], { DATA_DIR: ts.dataDir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('chain verified, 2 signed checkpoints hold (latest seq 4)');
  });

  it('verify-audit refuses to vouch for checkpoints it has no public key for', async () => {
    const ts = await server({ checkpointEvery: 1 });
    await createFlag(ts, 'one');
    await ts.running.checkpoints.settled();
    await ts.stop();
    const r = await cli(['verify-audit', ts.running.config.dbFile], { DATA_DIR: tempDataDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--public-key');
  });

  it('serves checkpoints newest first, paged, with the public key, and each signature verifies with that key alone', async () => {
    const ts = await server({ checkpointEvery: 1 });
    for (let i = 0; i < 3; i++) await createFlag(ts, `f${i}`);
    await ts.running.checkpoints.settled();
    const first = await ts.api('GET', '/api/audit/checkpoints?limit=2', { as: 'viewer' });
    expect(first.body.checkpoints.map((c: any) => c.seq)).toEqual([3, 2]);
    const second = await ts.api('GET', `/api/audit/checkpoints?limit=2&cursor=${first.body.next}`, { as: 'viewer' });
    expect(second.body).toMatchObject({ next: null });
    expect(second.body.checkpoints.map((c: any) => c.seq)).toEqual([1]);
    const key = crypto.createPublicKey({ key: first.body.publicKey.jwk, format: 'jwk' });
    expect(first.body.publicKey.jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(crypto.createPublicKey(first.body.publicKey.pem).equals(key)).toBe(true);
    const heads = new Map((await ts.api('GET', '/api/audit?limit=10', { as: 'admin' })).body.entries.map((e: any) => [e.seq, e.hash]));
    const all = [...first.body.checkpoints, ...second.body.checkpoints];
    for (const [i, c] of all.entries()) {
      const before = all[i + 1];
      expect(c.prev).toBe(before ? crypto.createHash('sha256').update(JSON.stringify(before.prev ? ['switchyard.audit-checkpoint.v2', before.seq, before.head, before.at, before.prev] : ['switchyard.audit-checkpoint.v1', before.seq, before.head, before.at])).update('\n').update(before.signature).digest('hex') : undefined);
      expect(c.head).toBe(heads.get(c.seq));
      // The first checkpoint signs v1; each later one names the one before it (v2, `prev`).
      const msg = Buffer.from(JSON.stringify(c.prev ? ['switchyard.audit-checkpoint.v2', c.seq, c.head, c.at, c.prev] : ['switchyard.audit-checkpoint.v1', c.seq, c.head, c.at]));
      expect(crypto.verify(null, msg, key, Buffer.from(c.signature, 'base64url'))).toBe(true);
    }
    const bad = await ts.api('GET', '/api/audit/checkpoints?limit=0', { as: 'viewer' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_query');
    // A checkpoint is not an audit entry: taking one leaves the chain's count and head alone.
    const v = (await ts.api('GET', '/api/audit/verify', { as: 'admin' })).body;
    expect(v).toMatchObject({ ok: true, count: 3, head: first.body.checkpoints[0].head });
  });

  it('keeps the key in its own 0600 file outside the database, and the same key across restarts', async () => {
    const ts = await server();
    const keyFile = path.join(ts.dataDir, 'checkpoint-key');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const before = (await ts.api('GET', '/api/audit/checkpoints', { as: 'admin' })).body.publicKey;
    const again = await ts.restart();
    cleanup.push(() => again.close());
    expect((await again.api('GET', '/api/audit/checkpoints', { as: 'admin' })).body.publicKey).toEqual(before);
    const pem = fs.readFileSync(keyFile, 'utf8');
    const dump = fs.readFileSync(again.running.config.dbFile);
    expect(dump.includes(Buffer.from(pem.split('\n')[1]!))).toBe(false);
  });

  it('takes a checkpoint on the timer whenever the head moved', async () => {
    const ts = await server({ checkpointEvery: 1000, checkpointIntervalMs: 50 });
    const next = () =>
      new Promise<any>((resolve) => {
        const off = ts.running.checkpoints.onCheckpoint((c) => {
          off();
          resolve(c);
        });
      });
    const first = next();
    await createFlag(ts, 'timed');
    expect(await first).toMatchObject({ seq: 1 });
    const second = next();
    await createFlag(ts, 'timed-2');
    expect(await second).toMatchObject({ seq: 2 });
  });

  it('signs nothing new when the head has not moved since the last checkpoint', async () => {
    const ts = await server({ checkpointEvery: 1000 });
    await ts.running.checkpoints.settled();
    expect(await ts.running.checkpoints.take()).toBeNull();
    await createFlag(ts, 'still');
    expect(await ts.running.checkpoints.take()).toMatchObject({ seq: 1 });
    expect(await ts.running.checkpoints.take()).toBeNull();
    expect((await ts.api('GET', '/api/audit/checkpoints', { as: 'admin' })).body.checkpoints).toHaveLength(1);
  });

  it('a checkpoint waits at the write gate behind a kill queued after it', async () => {
    const ts = await server({ checkpointEvery: 1000 });
    await ts.running.checkpoints.settled();
    await createFlag(ts, 'urgent');
    const gate = ts.running.storage.gate;
    let release!: () => void;
    const holding = gate.run(false, () => new Promise<void>((r) => (release = r)));
    const checkpoint = ts.running.checkpoints.take();
    const kill = ts.api('POST', '/api/flags/urgent/kill', { as: 'oncall', body: { reason: 'cost spike' } });
    await new Promise<void>((resolve) => {
      const check = () => (gate.waiting.urgent === 1 && gate.waiting.normal === 1 ? resolve() : setImmediate(check));
      check();
    });
    release();
    await holding;
    const [cp, killed] = await Promise.all([checkpoint, kill]);
    expect(killed.status).toBe(200);
    // The kill's entry (seq 2) was already in when the checkpoint read the head.
    expect(cp).toMatchObject({ seq: 2 });
  });

  it('a webhook delivery carries the latest signed checkpoint and the entry hash', async () => {
    const hook = await webhookServer();
    cleanup.push(() => hook.close());
    const ts = await server({ checkpointEvery: 1, webhookUrl: hook.url, webhookAllow: LOOPBACK_RECEIVERS });
    await createFlag(ts, 'hooked');
    await ts.running.checkpoints.settled();
    await ts.api('POST', '/api/flags/hooked/kill', { as: 'oncall', body: { reason: 'cost spike' } });
    const [notice] = await hook.waitFor(1);
    const kill = (await ts.api('GET', '/api/audit?action=flag.kill', { as: 'admin' })).body.entries[0];
    expect(notice).toMatchObject({ event: 'flag.kill', auditSeq: kill.seq, auditHash: kill.hash });
    expect(notice.checkpoint).toMatchObject({ seq: expect.any(Number), head: expect.stringMatching(/^[0-9a-f]{64}$/), signature: expect.any(String) });
    expect(notice.checkpoint.seq).toBeGreaterThanOrEqual(1);
  });
});
