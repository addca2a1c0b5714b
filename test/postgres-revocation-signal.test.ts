import { sql } from 'kysely';
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
  it('a revocation committed through one replica while the other\'s LISTEN connection is cut is refused by the other once it reconnects', async () => {
    const [a, b] = await pair();
    const token = await b.token('viewer', 'cut-off@acme');
    expect((await b.api('GET', '/api/flags', { token })).status).toBe(200);
    const pid = b.running.cluster!.bus.listenerPid();
    expect(pid).toBeTypeOf('number');
    // Cut b's listener, and revoke through a at once: the NOTIFY goes out while b is reconnecting.
    await sql`SELECT pg_terminate_backend(${pid!})`.execute(a.running.storage.db);
    const revoked = await a.api('POST', '/api/tokens/revoke', { as: 'admin', body: { sub: 'cut-off@acme', reason: 'left' } });
    expect(revoked.status).toBe(200);
    await expect.poll(async () => (await b.api('GET', '/api/flags', { token })).status, { timeout: 10_000, interval: 100 }).toBe(401);
    // b reconnected (a new backend), and a later revocation reaches it by its NOTIFY.
    await expect.poll(() => b.running.cluster!.bus.listenerPid() ?? pid, { timeout: 10_000, interval: 50 }).not.toBe(pid);
    const other = await b.token('viewer', 'second@acme');
    expect((await b.api('GET', '/api/flags', { token: other })).status).toBe(200);
    expect((await a.api('POST', '/api/tokens/revoke', { as: 'admin', body: { sub: 'second@acme', reason: 'left too' } })).status).toBe(200);
    await expect.poll(async () => (await b.api('GET', '/api/flags', { token: other })).status, { timeout: 10_000, interval: 100 }).toBe(401);
  });
});
