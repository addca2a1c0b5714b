import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { signInHeadless, type TestProvider } from './helpers/oidc-provider.js';
import { startWithProvider, withSession } from './helpers/oidc.js';
import { rawPeer, wsUrl } from './helpers/push-client.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { manualClock } from './rollout-fixtures.js';

// Issue 24: sessions in the database — lifetime, idle timeout, revocation, and a kill that never waits for the IdP.

const adminStream = (ts: TestServer, session: string, origin = ts.running.config.publicUrl!) =>
  rawPeer(wsUrl(ts.url, '/api/stream'), { protocols: ['switchyard.admin.v1'], headers: { cookie: `sy_session=${session}` }, origin });

describe('session lifetime', () => {
  // The services' clock, moved by hand from now (the stream's own timers read the wall clock).
  const time = manualClock(new Date().toISOString());
  let ts: TestServer;
  let idp: TestProvider;
  beforeAll(async () => {
    ({ ts, idp } = await startWithProvider({ clock: time.clock, config: { sessionTtlSeconds: 12 * 3600, sessionIdleTimeoutSeconds: 2 * 3600, heartbeatMs: 600_000 } }));
  });
  afterAll(async () => {
    await ts.close();
    await idp.stop();
  });

  it('a session used within the idle timeout lives on, and ends after SESSION_IDLE_TIMEOUT without a request', async () => {
    const { session } = await signInHeadless(ts.url, 'pat');
    time.advanceMinutes(100);
    expect((await withSession(ts, session!, 'GET', '/api/session')).status).toBe(200);
    time.advanceMinutes(100); // 200 minutes since sign-in, 100 since the last request
    expect((await withSession(ts, session!, 'GET', '/api/session')).status).toBe(200);
    time.advanceMinutes(120);
    const idle = await withSession(ts, session!, 'GET', '/api/session');
    expect(idle.status).toBe(401);
    expect(idle.body.error).toMatchObject({ code: 'session_ended', message: expect.stringContaining('idle') });
  });

  it('a session ends at SESSION_TTL however busy it is', async () => {
    const { session } = await signInHeadless(ts.url, 'pat');
    for (let h = 0; h < 11; h++) {
      time.advanceMinutes(60);
      expect((await withSession(ts, session!, 'GET', '/api/session')).status).toBe(200);
    }
    time.advanceMinutes(61);
    const expired = await withSession(ts, session!, 'GET', '/api/session');
    expect(expired.status).toBe(401);
    expect(expired.body.error.message).toContain('expired');
  });

  it('the admin stream opens with the session cookie from the UI\'s origin only', async () => {
    const { session } = await signInHeadless(ts.url, 'pat');
    const ok = adminStream(ts, session!);
    expect(await ok.next((m) => m.type === 'hello')).toMatchObject({ type: 'hello' });
    ok.ws.close();
    const evil = adminStream(ts, session!, 'https://evil.example');
    expect((await evil.closed).code).not.toBe(1000);
    expect(evil.messages).toEqual([]);
  });

  it('an admin lists the open sessions and ends one: its next request is refused and its admin stream closes at once (4401)', async () => {
    time.advanceMinutes(1); // this sign-in is the newest: listed first
    const pat = await signInHeadless(ts.url, 'pat');
    const stream = adminStream(ts, pat.session!);
    await stream.next((m) => m.type === 'hello');
    const list = await ts.api('GET', '/api/sessions', { as: 'admin' });
    expect(list.status).toBe(200);
    const mine = list.body.sessions.find((s: any) => s.sub === 'pat');
    expect(mine).toMatchObject({ email: 'pat@acme.com', role: 'pm', id: expect.any(String) });
    expect(JSON.stringify(list.body)).not.toContain(pat.session!);
    const revoked = await ts.api('POST', `/api/sessions/${mine.id}/revoke`, { as: 'admin' });
    expect(revoked.status, revoked.text).toBe(200);
    expect(await stream.closed).toEqual({ code: 4401, reason: 'token_revoked' });
    expect((await withSession(ts, pat.session!, 'GET', '/api/session')).status).toBe(401);
    expect((await ts.api('POST', `/api/sessions/${mine.id}/revoke`, { as: 'admin' })).status).toBe(404);
    const entry = (await ts.api('GET', '/api/audit?action=session.revoke', { as: 'admin' })).body.entries[0];
    expect(entry).toMatchObject({ actor: 'admin-user', before: { id: mine.id, sub: 'pat' } });
    expect((await ts.api('GET', '/api/sessions', { as: 'pm' })).status).toBe(403);
  });

  it('an admin stream of a session that expired is closed at the next recheck', async () => {
    const { session } = await signInHeadless(ts.url, 'sam');
    const stream = adminStream(ts, session!);
    await stream.next((m) => m.type === 'hello');
    time.advanceMinutes(13 * 60);
    await cli(['revoke-token', '--sub', 'someone-else', '--reason', 'moves the revocation signal'], { DATA_DIR: ts.dataDir, DATABASE_URL: ts.databaseUrl ?? '' });
    expect([4401, 4419]).toContain((await stream.closed).code);
  });
});

describe('the role mapping, tested before it is trusted', () => {
  let ts: TestServer;
  let idp: TestProvider;
  beforeAll(async () => {
    ({ ts, idp } = await startWithProvider({ config: { oidcRoleClaim: 'realm_access.roles', oidcRoleMap: { 'sy-admins': 'admin', product: 'pm', 'c0ffee00-1111-4222-8333-444455556666': 'oncall' }, oidcDefaultRole: 'viewer' } }));
  });
  afterAll(async () => {
    await ts.close();
    await idp.stop();
  });

  const test = (claims: unknown, as: 'admin' | 'pm' = 'admin') => ts.api('POST', '/api/auth/role-mapping/test', { as, body: { claims } });

  it('answers the role a set of claims would get and the rule that matched, reading a nested claim path', async () => {
    expect((await test({ realm_access: { roles: ['product', 'sy-admins'] } })).body).toEqual({ role: 'admin', matched: 'sy-admins', claim: 'realm_access.roles', seen: ['product', 'sy-admins'] });
    expect((await test({ realm_access: { roles: ['c0ffee00-1111-4222-8333-444455556666'] } })).body).toMatchObject({ role: 'oncall', matched: 'c0ffee00-1111-4222-8333-444455556666' });
    expect((await test({ groups: ['sy-admins'] })).body).toEqual({ role: 'viewer', matched: '(default role)', claim: 'realm_access.roles', seen: [] });
  });

  it('shows the mapping in use to admins, and to no one else', async () => {
    const m = await ts.api('GET', '/api/auth/role-mapping', { as: 'admin' });
    expect(m.body).toMatchObject({ claim: 'realm_access.roles', defaultRole: 'viewer', map: { product: 'pm' }, provider: { issuer: idp.issuer, reachable: true } });
    expect((await ts.api('GET', '/api/auth/role-mapping', { as: 'pm' })).status).toBe(403);
    expect((await test({ groups: [] }, 'pm')).status).toBe(403);
  });

  it('refuses claims that are not an object, with what was wrong', async () => {
    const r = await ts.api('POST', '/api/auth/role-mapping/test', { as: 'admin', body: { claims: ['sy-admins'] } });
    expect(r.status).toBe(400);
    expect(r.body.error.details[0].path).toBe('claims');
  });
});

describe('the kill never waits for the identity provider', () => {
  let ts: TestServer;
  let idp: TestProvider;
  beforeAll(async () => {
    ({ ts, idp } = await startWithProvider());
  });
  afterAll(() => ts.close());

  it('with the provider stopped, on-call kills with a session and with a CLI token, and sign-in says the provider is unreachable and names the break-glass token', async () => {
    await createFlag(ts, 'idp-down-a');
    await createFlag(ts, 'idp-down-b');
    const sam = await signInHeadless(ts.url, 'sam');
    const csrf = (await withSession(ts, sam.session!, 'GET', '/api/session')).body.csrfToken;
    await idp.stop();

    const bySession = await withSession(ts, sam.session!, 'POST', '/api/flags/idp-down-a/kill', { csrf, body: { reason: 'cost spike while the IdP is down' } });
    expect(bySession.status, bySession.text).toBe(200);
    expect(bySession.body).toMatchObject({ killed: true });
    const minted = await cli(['token', '--sub', 'oncall-breakglass', '--role', 'oncall', '--ttl', '2h'], { DATA_DIR: ts.dataDir, DATABASE_URL: ts.databaseUrl ?? '' });
    expect(minted.code, minted.stderr).toBe(0);
    const byToken = await ts.api('POST', '/api/flags/idp-down-b/kill', { token: minted.stdout.trim(), body: { reason: 'break-glass' } });
    expect(byToken.status, byToken.text).toBe(200);
    const audit = (await ts.api('GET', '/api/audit?action=flag.kill', { as: 'admin' })).body.entries.map((e: any) => e.actor);
    expect(audit).toEqual(expect.arrayContaining(['sam@acme.com', 'oncall-breakglass']));

    const login = await fetch(`${ts.url}/auth/login`, { redirect: 'manual' });
    expect(login.status).toBe(503);
    const page = await login.text();
    expect(page).toContain('unreachable');
    expect(page).toContain('switchyard token --role oncall --ttl 2h');
    expect(page).toContain('docs/runbook.md');
    expect((await ts.api('GET', '/api/auth/providers')).body).toEqual({ oidc: { name: new URL(idp.issuer).host, loginUrl: '/auth/login', reachable: false } });
  });
});

describe('configuration', () => {
  it('cookies are Secure when PUBLIC_URL is https', async () => {
    const { ts, idp } = await startWithProvider({ config: { publicUrl: 'https://flags.acme.example' } });
    try {
      const login = await fetch(`${ts.url}/auth/login`, { redirect: 'manual' });
      expect(login.status).toBe(302);
      const flow = login.headers.getSetCookie().find((c) => c.startsWith('sy_oidc_flow='))!;
      expect(flow).toMatch(/; Secure/);
      expect(flow).toMatch(/HttpOnly/);
      expect(flow).toMatch(/Path=\/auth\/callback/);
    } finally {
      await ts.close();
      await idp.stop();
    }
  });

  it('rows of sessions ended over a week ago are removed at the next sign-in', async () => {
    const time = manualClock(new Date().toISOString());
    const { ts, idp } = await startWithProvider({ clock: time.clock });
    try {
      await signInHeadless(ts.url, 'pat');
      time.advanceMinutes(8 * 24 * 60);
      await signInHeadless(ts.url, 'sam');
      const subs = (await ts.running.storage.db.selectFrom('sessions').select('sub').execute()).map((r) => r.sub);
      expect(subs).toEqual(['sam']);
    } finally {
      await ts.close();
      await idp.stop();
    }
  });

  it('an issuer unreachable at start is a warning, not a crash; the server serves tokens meanwhile', async () => {
    const ts = await startTestServer({ config: { publicUrl: 'http://127.0.0.1:9', oidcIssuer: 'http://127.0.0.1:9', oidcClientId: 'switchyard', oidcDefaultRole: 'viewer' } });
    try {
      expect((await ts.api('GET', '/api/flags', { as: 'viewer' })).status).toBe(200);
      await expect.poll(() => ts.logs.some((l) => l.includes('oidc: the identity provider http://127.0.0.1:9 is unreachable'))).toBe(true);
    } finally {
      await ts.close();
    }
  });
});
