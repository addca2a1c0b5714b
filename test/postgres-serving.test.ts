import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import pgDriver from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

/**
 * Switchyard serving from PostgreSQL (issue 14), on a real embedded cluster whatever
 * SWITCHYARD_TEST_DB says: several servers on one database, as replicas are.
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

describe('a server on PostgreSQL', () => {
  it('serves from the database in DATABASE_URL: no SQLite file and no lock file in DATA_DIR, only the key files', async () => {
    const ts = await serve();
    expect(ts.running.storage.kind).toBe('postgres');
    await createFlag(ts, 'pg-flag');
    const kill = await ts.api('POST', '/api/flags/pg-flag/kill', { as: 'oncall', body: { reason: 'on postgres' } });
    expect(kill.status).toBe(200);
    const { rows } = await sql<{ killed: number }>`SELECT killed FROM flags WHERE key = 'pg-flag'`.execute(ts.running.storage.db);
    expect(rows).toEqual([{ killed: 1 }]);
    const files = fs.readdirSync(ts.dataDir).sort();
    expect(files).not.toContain('switchyard.db');
    expect(files).not.toContain('switchyard.lock');
    expect(files).toContain('secret');
    expect((await ts.api('GET', '/readyz')).status).toBe(200);
    expect(ts.running.storage.sqlite).toBeUndefined();
  });

  it('a restart on the same database keeps every flag and the audit chain', async () => {
    const first = await serve();
    await createFlag(first, 'kept');
    const again = await first.restart();
    servers.push(again);
    expect((await again.api('GET', '/api/flags/kept', { as: 'viewer' })).status).toBe(200);
    expect((await again.api('GET', '/api/audit/verify', { as: 'viewer' })).body).toMatchObject({ ok: true, count: 1 });
  });
});

describe('8-byte integers on PostgreSQL', () => {
  it('a revocation time after January 2038 fits its column, and the API refuses a revocation dated in the future', async () => {
    const ts = await serve();
    // The API takes no revocation dated ahead of the clock (issue 20: one dated 2999 was accepted)…
    const res = await ts.api('POST', '/api/tokens/revoke', { as: 'admin', body: { sub: 'future@acme', before: '2040-01-01T00:00:00Z', reason: 'rotate everything' } });
    expect(res.status).toBe(400);
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM token_revocations`.execute(ts.running.storage.db)).rows).toEqual([{ n: 0 }]);
    // …but the column still holds epoch seconds past 2^31 (8 bytes), as it will after 2038.
    const before = Date.parse('2040-01-01T00:00:00Z') / 1000;
    await ts.running.storage.db
      .insertInto('token_revocations')
      .values({ id: 'r-2040', jti: null, sub: 'future@acme', before, revoked_at: new Date().toISOString(), revoked_by: 'test', reason: 'column width' })
      .execute();
    const { rows } = await sql<{ before: number }>`SELECT before FROM token_revocations`.execute(ts.running.storage.db);
    expect(rows).toEqual([{ before }]);
  });

  it('the state version, audit sequence and counters hold values past 2^31', async () => {
    const ts = await serve();
    const big = 2 ** 31 + 5;
    await sql`UPDATE meta SET value = ${big} WHERE key = 'state_version'`.execute(ts.running.storage.db);
    const f = await createFlag(ts, 'past-int4');
    const row = (await sql<{ state_version: number }>`SELECT state_version FROM flags WHERE key = ${f.key}`.execute(ts.running.storage.db)).rows[0];
    expect(row).toEqual({ state_version: big + 1 });
    const types = await sql<{ table_name: string; column_name: string; data_type: string }>`
      SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name NOT LIKE 'kysely_%' AND data_type = 'integer' AND column_name NOT IN ('stage', 'archived', 'killed', 'paused', 'protected', 'require_signoff')`.execute(ts.running.storage.db);
    expect(types.rows).toEqual([]);
  });
});

describe('a kill on PostgreSQL', () => {
  it('commits while every connection of the main pool is held by other work', async () => {
    const ts = await serve(undefined, { databasePoolMax: 2 });
    await createFlag(ts, 'starved');
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let holding = 0;
    // Two long transactions on the main pool (its two connections), as a slow report or a flood of reads would.
    const holders = Array.from({ length: 2 }, () =>
      ts.running.storage.db.transaction().execute(async (trx) => {
        await sql`SELECT 1`.execute(trx);
        holding++;
        await released;
      }),
    );
    await expect.poll(() => holding).toBe(2);
    const kill = await ts.api('POST', '/api/flags/starved/kill', { as: 'oncall', body: { reason: 'pool exhausted' } });
    expect(kill.status).toBe(200);
    expect(kill.body.flag ?? kill.body).toMatchObject({ killed: true });
    release();
    await Promise.all(holders);
  });
});

describe('readiness on PostgreSQL', () => {
  it('a database that turns read-only gets writes answered 503 and /readyz 503, and both recover by themselves', async () => {
    const url = await pg.createDatabase();
    const ts = await serve(url);
    await createFlag(ts, 'ready');
    const admin = new pgDriver.Client({ connectionString: url });
    await admin.connect();
    const name = new URL(url).pathname.slice(1);
    // Every new session of the database is read-only (a standby, a disk-full guard), and the server's open sessions are cut.
    const reconnectAll = () => admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    try {
      await admin.query(`ALTER DATABASE ${name} SET default_transaction_read_only = on`);
      await reconnectAll();
      const refused = await ts.api('POST', '/api/flags/ready/kill', { as: 'oncall', body: { reason: 'while read-only' } });
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('unavailable');
      expect(refused.headers.get('retry-after')).toBeTruthy();
      const notReady = await ts.api('GET', '/readyz');
      expect(notReady.status).toBe(503);
      expect(JSON.stringify(notReady.body)).toContain('refuses writes');
      expect((await ts.api('GET', '/api/flags/ready', { as: 'viewer' })).body.killed).toBe(false);

      await admin.query(`ALTER DATABASE ${name} RESET default_transaction_read_only`);
      await reconnectAll();
      await expect.poll(async () => (await ts.api('GET', '/readyz')).status, { timeout: 15_000, interval: 100 }).toBe(200);
      const killed = await ts.api('POST', '/api/flags/ready/kill', { as: 'oncall', body: { reason: 'writable again' } });
      expect(killed.status).toBe(200);
    } finally {
      await admin.end();
    }
  });
});

describe('retention and upserts on PostgreSQL', () => {
  it('the usage and aggregate upserts keep the larger and smaller of two values, and the prune deletes old rows in batches', async () => {
    const ts = await serve();
    const db = ts.running.storage.db;
    await createFlag(ts, 'counted');
    const { addUsage } = await import('../server/telemetry/usage-store.js');
    await addUsage(ts.running.storage, 'production', [{ flag: 'counted', stage: 0, variant: 'off', day: '2020-01-01', count: 2, lastSeenAt: '2020-01-01T10:00:00.000Z' }]);
    await addUsage(ts.running.storage, 'production', [{ flag: 'counted', stage: 0, variant: 'off', day: '2020-01-01', count: 3, lastSeenAt: '2020-01-01T09:00:00.000Z' }]);
    const usage = await db.selectFrom('flag_usage').select(['count', 'last_seen_at']).execute();
    expect(usage).toEqual([{ count: 5, last_seen_at: '2020-01-01T10:00:00.000Z' }]);

    const m = await ts.api('POST', '/api/metrics', { as: 'metrics', body: { samples: [4, 1, 9].map((value) => ({ flag: 'counted', metric: 'latency_ms', value })) } });
    expect(m.status).toBe(201);
    const m2 = await ts.api('POST', '/api/metrics', { as: 'metrics', body: { samples: [0.5, 20].map((value) => ({ flag: 'counted', metric: 'latency_ms', value })) } });
    expect(m2.status).toBe(201);
    const agg = await db.selectFrom('metric_aggregates').select(['count', 'min', 'max']).execute();
    expect(agg).toEqual([{ count: 5, min: 0.5, max: 20 }]);

    const old = '2020-01-01T00:00:00.000Z';
    await db.insertInto('metric_samples').values(Array.from({ length: 7 }, (_, i) => ({ environment: 'production', flag: 'counted', metric: 'old', value: i, cohort: 'treatment', stage: 0, at: old, received_at: old }))).execute();
    const { pruneSamples } = await import('../server/samples/sample-store.js');
    expect(await pruneSamples(ts.running.storage, db, '2021-01-01T00:00:00.000Z', 5)).toBe(5);
    expect(await pruneSamples(ts.running.storage, db, '2021-01-01T00:00:00.000Z', 5)).toBe(2);
    const left = await db.selectFrom('metric_samples').select('metric').execute();
    expect(left.map((r) => r.metric)).toEqual(Array(5).fill('latency_ms'));
    const pruned = await ts.running.services.retention.prune();
    expect(pruned.usage).toBe(1);
  });
});

describe('the PostgreSQL test database', () => {
  it('a server started by the test helper under SWITCHYARD_TEST_DB=postgres gets its own database, and restart keeps it', async () => {
    if (process.env.SWITCHYARD_TEST_DB !== 'postgres') {
      // Under SQLite the helper makes a SQLite file in DATA_DIR.
      const ts = await startTestServer();
      servers.push(ts);
      expect(ts.running.storage.kind).toBe('sqlite');
      expect(fs.existsSync(path.join(ts.dataDir, 'switchyard.db'))).toBe(true);
      return;
    }
    const ts = await startTestServer();
    servers.push(ts);
    expect(ts.running.storage.kind).toBe('postgres');
    expect(ts.databaseUrl).toMatch(/^postgres:\/\//);
    const again = await ts.restart();
    servers.push(again);
    expect(again.databaseUrl).toBe(ts.databaseUrl);
  });
});
