import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/free-port.js';
import { signInHeadless, startTestProvider, type TestProvider } from './helpers/oidc-provider.js';
import { PEOPLE, ROLE_MAP, withSession } from './helpers/oidc.js';
import { rawPeer, wsUrl } from './helpers/push-client.js';
import { sharedDataDir } from './helpers/replicas.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { testDatabaseUrl } from './helpers/test-db.js';

// Issue 24: sessions live in the database, so every replica of a cluster knows them (PostgreSQL).

describe('two replicas sharing one session', () => {
  let a: TestServer;
  let b: TestServer;
  let idp: TestProvider;
  beforeAll(async () => {
    const databaseUrl = await testDatabaseUrl();
    const [portA, portB] = [await freePort(), await freePort()];
    // Both replicas answer at one PUBLIC_URL (the load balancer's); here it is replica A's address.
    const publicUrl = `http://127.0.0.1:${portA}`;
    idp = await startTestProvider(publicUrl, PEOPLE);
    const config = { databaseUrl, publicUrl, oidcIssuer: idp.issuer, oidcClientId: idp.clientId, oidcClientSecret: idp.clientSecret, oidcRoleMap: { ...ROLE_MAP }, replicaHeartbeatMs: 150 };
    a = await startTestServer({ config: { ...config, port: portA, replicaName: 'a' } });
    b = await startTestServer({ dataDir: sharedDataDir(a.dataDir), config: { ...config, port: portB, replicaName: 'b' } });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await idp?.stop();
  });

  it('a session opened through one replica serves the other, with the same CSRF token, and a change made there is recorded under the email', async () => {
    await createFlag(a, 'replica-shared');
    const { session } = await signInHeadless(a.url, 'sam');
    const onA = await withSession(a, session!, 'GET', '/api/session');
    const onB = await withSession(b, session!, 'GET', '/api/session');
    expect(onB.status).toBe(200);
    expect(onB.body).toEqual(onA.body);
    const kill = await withSession(b, session!, 'POST', '/api/flags/replica-shared/kill', { csrf: onA.body.csrfToken, body: { reason: 'from the other replica' } });
    expect(kill.status, kill.text).toBe(200);
    const entry = (await a.api('GET', '/api/audit?flag=replica-shared&action=flag.kill', { as: 'admin' })).body.entries[0];
    expect(entry).toMatchObject({ actor: 'sam@acme.com', role: 'oncall' });
  });

  it('a session revoked through one replica is refused by the other, and its admin stream there closes', async () => {
    const { session } = await signInHeadless(a.url, 'ada');
    const stream = rawPeer(wsUrl(b.url, '/api/stream'), { protocols: ['switchyard.admin.v1'], headers: { cookie: `sy_session=${session}` }, origin: a.running.config.publicUrl! });
    await stream.next((m) => m.type === 'hello');
    const id = (await a.api('GET', '/api/sessions', { as: 'admin' })).body.sessions.find((s: any) => s.sub === 'ada').id;
    expect((await a.api('POST', `/api/sessions/${id}/revoke`, { as: 'admin' })).status).toBe(200);
    expect(await stream.closed).toEqual({ code: 4401, reason: 'token_revoked' });
    expect((await withSession(b, session!, 'GET', '/api/session')).status).toBe(401);
  });

  it('a session survives a restart of the replica that opened it', async () => {
    const { session } = await signInHeadless(a.url, 'pat');
    a = await a.restart();
    expect((await withSession(a, session!, 'GET', '/api/session')).body).toMatchObject({ sub: 'pat', role: 'pm', via: 'oidc' });
  });
});
