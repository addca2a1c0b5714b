import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { onPostgres, testDatabaseUrl } from './helpers/test-db.js';

// PostgreSQL only (SWITCHYARD_TEST_DB=postgres): revocations reach the other replicas through a
// NOTIFY on the cluster's LISTEN connection (server/storage/postgres.ts), no longer a 1 s poll.

const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

async function pair(): Promise<[TestServer, TestServer]> {
  const databaseUrl = await testDatabaseUrl();
  const a = await startTestServer({ config: { databaseUrl } });
  servers.push(a);
  const b = await startTestServer({ config: { databaseUrl } });
  servers.push(b);
  return [a, b];
}

describe.skipIf(!onPostgres)('revocations across replicas on PostgreSQL', () => {
  it('a revocation made through one replica reaches the other by its NOTIFY', async () => {
    const [a, b] = await pair();
    const token = await b.token('viewer', 'leaver@acme');
    expect((await b.api('GET', '/api/flags', { token })).status).toBe(200);
    expect((await a.api('POST', '/api/tokens/revoke', { as: 'admin', body: { sub: 'leaver@acme', reason: 'left' } })).status).toBe(200);
    await expect.poll(async () => (await b.api('GET', '/api/flags', { token })).status, { timeout: 10_000, interval: 100 }).toBe(401);
  });

  it('a revocation committed while a replica\'s LISTEN connection is down (its NOTIFY lost) is refused by that replica once it reconnects', async () => {
    const [a, b] = await pair();
    const databaseUrl = a.running.config.databaseUrl!;
    const token = await b.token('viewer', 'cut-off@acme');
    expect((await b.api('GET', '/api/flags', { token })).status).toBe(200);
    // Another process's connection, opened before the database stops taking new ones.
    const other = new pg.Client({ connectionString: databaseUrl });
    await other.connect();
    const database = (await other.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db;
    // A database's connections are switched off from another database of the cluster.
    const adminUrl = new URL(databaseUrl);
    adminUrl.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
      const pid = b.running.cluster!.bus.listenerPid();
      await other.query('SELECT pg_terminate_backend($1)', [pid]);
      await expect.poll(() => b.running.cluster!.bus.listening, { timeout: 10_000, interval: 20 }).toBe(false);
      // Committed while b cannot listen, as `switchyard revoke-token` in another process would commit it.
      await other.query('BEGIN');
      await other.query(`INSERT INTO token_revocations (id, jti, sub, "before", revoked_at, revoked_by, reason) VALUES ('r-cut', NULL, 'cut-off@acme', $1, $2, 'cli:test', 'left')`, [Math.floor(Date.now() / 1000) + 1, new Date().toISOString()]);
      await other.query("SELECT pg_notify('switchyard_revocations', '')");
      await other.query('COMMIT');
      expect((await b.api('GET', '/api/flags', { token })).status).toBe(200); // b has not heard yet
    } finally {
      await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
      await Promise.all([admin.end(), other.end()]);
    }
    await expect.poll(() => b.running.cluster!.bus.listening, { timeout: 15_000, interval: 50 }).toBe(true);
    await expect.poll(async () => (await b.api('GET', '/api/flags', { token })).status, { timeout: 10_000, interval: 100 }).toBe(401);
  });
});
