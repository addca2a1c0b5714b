import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { putPlan } from './rollout-fixtures.js';

/**
 * Two servers on one PostgreSQL database, as replicas are (issue 14), on a real embedded
 * cluster whatever SWITCHYARD_TEST_DB says: one audit chain, state versions in order, shared
 * reach registers and checkpoints, revocations seen by every server.
 */
let pg: TestPostgres;
const servers: TestServer[] = [];

async function serve(databaseUrl?: string, config: Record<string, unknown> = {}): Promise<TestServer> {
  const ts = await startTestServer({ config: { databaseUrl: databaseUrl ?? (await pg.createDatabase()), ...config } });
  servers.push(ts);
  return ts;
}

beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);

afterAll(async () => {
  for (const s of servers) await s.close();
  await pg?.stop();
});

describe('two servers on one PostgreSQL database', () => {
  it('appending to the audit trail at once through both keeps one linear chain that verifies', async () => {
    const url = await pg.createDatabase();
    const a = await serve(url);
    const b = await serve(url);
    // SDK keys and token revocations are audited without taking a state version (no flag row
    // lock to queue on), mixed with kills that do.
    await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const [here, there] = i % 2 ? [a, b] : [b, a];
        const f = await createFlag(here, `both-${i}`);
        const results = await Promise.all([
          there.api('POST', `/api/flags/${f.key}/kill`, { as: 'oncall', body: { reason: 'race' } }),
          here.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: `svc-${i}` } }),
          there.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: `svc-${i}-b` } }),
          here.api('POST', '/api/tokens/revoke', { as: 'admin', body: { sub: `user-${i}`, reason: 'race' } }),
        ]);
        expect(results.map((r) => r.status)).toEqual([200, 201, 201, 200]);
      }),
    );
    for (const s of [a, b]) {
      const v = await s.api('GET', '/api/audit/verify', { as: 'viewer' });
      expect(v.status).toBe(200);
      expect(v.body).toMatchObject({ ok: true, count: 80 });
    }
    const seqs = (await sql<{ seq: number }>`SELECT seq FROM audit ORDER BY seq`.execute(a.running.storage.db)).rows.map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
  });

  it('state versions are unique across both servers and each flag row holds the version its change took', async () => {
    const url = await pg.createDatabase();
    const a = await serve(url);
    const b = await serve(url);
    await Promise.all(Array.from({ length: 20 }, (_, i) => createFlag(i % 2 ? a : b, `sv-${i}`)));
    const rows = (await sql<{ state_version: number }>`SELECT state_version FROM flags ORDER BY state_version`.execute(a.running.storage.db)).rows;
    expect(rows.map((r) => r.state_version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('reach registers flushed by both at once for the same flag and day keep the users of both', async () => {
    const url = await pg.createDatabase();
    const a = await serve(url);
    const b = await serve(url);
    await createFlag(a, 'reached');
    // Reach counts users served `on`, which stage 0 serves to nobody: the flag needs a stage 1.
    const planned = await putPlan(a, 'reached', { cohort: [], stages: [{ percent: 5 }, { percent: 100 }] });
    expect(planned.status, JSON.stringify(planned.body)).toBe(200);
    const { addReach } = await import('../server/telemetry/reach-store.js');
    const { REACH_REGISTERS } = await import('@switchyard-flags/sdk/protocol');
    const regs = (i: number) => {
      const r = new Uint8Array(REACH_REGISTERS);
      r[i] = 3;
      return r;
    };
    const days = Array.from({ length: 10 }, (_, i) => `2026-11-${String(i + 10)}`);
    await Promise.all(
      days.flatMap((day) => [
        addReach(a.running.storage, 'production', [{ flag: 'reached', stage: 1, day, regs: regs(0) }]),
        addReach(b.running.storage, 'production', [{ flag: 'reached', stage: 1, day, regs: regs(1) }]),
      ]),
    );
    const rows = await a.running.storage.db.selectFrom('flag_reach').select(['day', 'regs']).orderBy('day').execute();
    expect(rows.map((r) => [r.day, r.regs[0], r.regs[1]])).toEqual(days.map((d) => [d, 3, 3]));
  });

  it('sharing one checkpoint key, both sign audit checkpoints at once without a clash, and every checkpoint verifies', async () => {
    const url = await pg.createDatabase();
    const a = await serve(url, { checkpointEvery: 1 });
    const b = await serve(url, { checkpointEvery: 1, checkpointKeyFile: a.running.config.checkpointKeyFile });
    await Promise.all(Array.from({ length: 12 }, (_, i) => createFlag(i % 2 ? a : b, `signed-${i}`)));
    await Promise.all([a.running.checkpoints.settled(), b.running.checkpoints.settled()]);
    for (const s of [a, b]) {
      const v = await s.api('GET', '/api/audit/verify', { as: 'viewer' });
      expect(v.body).toMatchObject({ ok: true, count: 12 });
      expect(s.logs.filter((l) => l.includes('audit checkpoint failed'))).toEqual([]);
    }
    const seqs = (await a.running.storage.db.selectFrom('audit_checkpoints').select('seq').orderBy('seq').execute()).map((r) => r.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.at(-1)).toBe(12);
  });

  it('a replica started with another checkpoint key than the one that signed the newest checkpoint says so at start, and the checkpoint verification names the fix', async () => {
    const url = await pg.createDatabase();
    const a = await serve(url, { checkpointEvery: 1 });
    await createFlag(a, 'signed-by-a');
    await a.running.checkpoints.settled();
    const b = await serve(url);
    const warned = b.logs.map((l) => JSON.parse(l)).find((l) => String(l.msg).includes('every replica of a cluster must use the same key file'));
    expect(warned).toMatchObject({ level: 50, keyId: b.running.checkpoints.publicKey.keyId, lastCheckpointKeyId: a.running.checkpoints.publicKey.keyId });
    // The chain itself is fine; the checkpoints are what another key cannot vouch for.
    expect((await b.api('GET', '/api/audit/verify', { as: 'viewer' })).body.ok).toBe(true);
    const v = await b.api('GET', '/api/audit/checkpoints/verify', { as: 'viewer' });
    expect(v.body.ok).toBe(false);
    expect(JSON.stringify(v.body)).toContain('every replica must use the same CHECKPOINT_KEY_FILE');
    expect(a.logs.some((l) => l.includes('every replica of a cluster must use the same key file'))).toBe(false);
  });

  it('a token revoked through one server is refused by the other', async () => {
    const url = await pg.createDatabase();
    const a = await serve(url);
    const b = await serve(url);
    // Both servers sign with their own DATA_DIR secret: a token of b is revoked through a.
    const token = await b.token('viewer', 'leaver@acme');
    expect((await b.api('GET', '/api/flags', { token })).status).toBe(200);
    const revoked = await a.api('POST', '/api/tokens/revoke', { as: 'admin', body: { sub: 'leaver@acme', reason: 'left the company' } });
    expect(revoked.status).toBe(200);
    await expect.poll(async () => (await b.api('GET', '/api/flags', { token })).status, { timeout: 10_000, interval: 100 }).toBe(401);
  });
});
