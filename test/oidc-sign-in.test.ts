import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInHeadless } from './helpers/oidc-provider.js';
import type { TestProvider } from './helpers/oidc-provider.js';
import { startWithProvider, withSession } from './helpers/oidc.js';
import { createFlag, type TestServer } from './helpers/server.js';
import { putPlan, snapshotIdOf } from './rollout-fixtures.js';

// Issue 24: sign in with the company's identity provider, against a real OpenID provider on loopback.

let ts: TestServer;
let idp: TestProvider;

beforeAll(async () => {
  ({ ts, idp } = await startWithProvider());
});
afterAll(async () => {
  await ts.close();
  await idp.stop();
});

const auditOf = async (action: string) => (await ts.api('GET', `/api/audit?action=${action}`, { as: 'admin' })).body.entries as any[];

describe('sign-in with the identity provider', () => {
  it('a PM signs in and gets the role their group maps to, read from userinfo (the provider keeps groups out of the ID token)', async () => {
    const out = await signInHeadless(ts.url, 'pat');
    expect(out.res.status).toBe(302);
    expect(out.res.headers.get('location')).toBe('/');
    expect(out.session).toBeDefined();
    expect(idp.lastIdToken).toMatchObject({ sub: 'pat' });
    expect(idp.lastIdToken!.groups).toBeUndefined(); // so the role came from userinfo
    const cookie = out.res.headers.getSetCookie().find((c) => c.startsWith('sy_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/); // PUBLIC_URL is http here
    const me = await withSession(ts, out.session!, 'GET', '/api/session');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ sub: 'pat', email: 'pat@acme.com', name: 'Pat Product', role: 'pm', via: 'oidc', csrfToken: expect.any(String) });
    const login = (await auditOf('auth.login')).find((e) => e.actor === 'pat@acme.com');
    expect(login).toMatchObject({ role: 'pm', after: { sub: 'pat', role: 'pm', claim: 'groups', matched: 'product' } });
  });

  it('the highest mapped role wins, and a group id maps as well as a name', async () => {
    const ada = await signInHeadless(ts.url, 'ada');
    expect((await withSession(ts, ada.session!, 'GET', '/api/session')).body.role).toBe('admin');
    const eve = await signInHeadless(ts.url, 'eve');
    expect((await withSession(ts, eve.session!, 'GET', '/api/session')).body.role).toBe('engineer');
  });

  it('an email the provider marks unverified is not used: the session and its changes go by the name', async () => {
    const out = await signInHeadless(ts.url, 'una');
    expect(idp.lastIdToken).toBeDefined();
    const me = await withSession(ts, out.session!, 'GET', '/api/session');
    expect(me.body).toMatchObject({ sub: 'una', email: null, name: 'Una Unverified', role: 'pm' });
    expect((await auditOf('auth.login')).some((e) => e.actor === 'Una Unverified')).toBe(true);
    expect((await auditOf('auth.login')).some((e) => e.actor === 'ceo@acme.com')).toBe(false);
  });

  it('the cookie is an opaque id stored only as a hash', async () => {
    const out = await signInHeadless(ts.url, 'sam');
    const row = await ts.running.storage.db.selectFrom('sessions').selectAll().where('sub', '=', 'sam').executeTakeFirstOrThrow();
    expect(row.token_hash).not.toContain(out.session!);
    expect(JSON.stringify(row)).not.toContain(out.session!);
  });

  it('a PM advances a stage with the session, and the audit names their email', async () => {
    await createFlag(ts, 'sso-banner');
    expect((await putPlan(ts, 'sso-banner', { stages: [{ percent: 10 }, { percent: 100 }] })).status).toBe(200);
    const out = await signInHeadless(ts.url, 'pat');
    const csrf = (await withSession(ts, out.session!, 'GET', '/api/session')).body.csrfToken;
    const s = await withSession(ts, out.session!, 'POST', '/api/flags/sso-banner/signoffs', { csrf, body: { comment: 'looked at it', snapshotId: await snapshotIdOf(ts, 'sso-banner') } });
    expect(s.status, s.text).toBe(201);
    const a = await withSession(ts, out.session!, 'POST', '/api/flags/sso-banner/advance', { csrf, body: { reason: 'gates hold' } });
    expect(a.status, a.text).toBe(200);
    expect(a.body).toMatchObject({ stage: 1 });
    const entry = (await ts.api('GET', '/api/audit?flag=sso-banner&action=rollout.advance', { as: 'admin' })).body.entries[0];
    expect(entry).toMatchObject({ actor: 'pat@acme.com', role: 'pm' });
  });

  it('a change made with the session cookie from another origin, or without the CSRF token, is refused and changes nothing; a bearer token needs neither', async () => {
    await createFlag(ts, 'csrf-target');
    const out = await signInHeadless(ts.url, 'ada');
    const csrf = (await withSession(ts, out.session!, 'GET', '/api/session')).body.csrfToken;
    const kill = (o: { csrf?: string | null; origin?: string | null }) => withSession(ts, out.session!, 'POST', '/api/flags/csrf-target/kill', { body: { reason: 'csrf attempt' }, ...o });
    const evil = await kill({ csrf, origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.body.error.code).toBe('cross_origin_refused');
    const noOrigin = await kill({ csrf, origin: null });
    expect(noOrigin.status).toBe(403);
    const noToken = await kill({ csrf: null });
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.code).toBe('csrf_refused');
    const wrongToken = await kill({ csrf: csrf.replace(/^./, (c: string) => (c === 'A' ? 'B' : 'A')) });
    expect(wrongToken.status).toBe(403);
    expect((await ts.api('GET', '/api/flags/csrf-target', { as: 'viewer' })).body.killed).toBe(false);
    const bearer = await ts.api('POST', '/api/flags/csrf-target/kill', { as: 'oncall', body: { reason: 'token call, no cookie' } });
    expect(bearer.status, bearer.text).toBe(200);
  });

  it('?return= brings the user back to a local path, and never to another host', async () => {
    expect((await signInHeadless(ts.url, 'pat', { returnTo: '/flags/sso-banner?tab=rollout' })).res.headers.get('location')).toBe('/flags/sso-banner?tab=rollout');
    for (const evil of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      expect((await signInHeadless(ts.url, 'pat', { returnTo: evil })).res.headers.get('location')).toBe('/');
    }
  });

  it('sign-out ends the session (audited auth.logout), clears the cookie and names the provider\'s logout URL', async () => {
    const out = await signInHeadless(ts.url, 'sam');
    const csrf = (await withSession(ts, out.session!, 'GET', '/api/session')).body.csrfToken;
    const bye = await withSession(ts, out.session!, 'POST', '/auth/logout', { csrf });
    expect(bye.status, bye.text).toBe(200);
    expect(bye.body.endSessionUrl).toMatch(new RegExp(`^${idp.issuer}/`));
    expect(bye.headers.getSetCookie().find((c) => c.startsWith('sy_session='))).toMatch(/Max-Age=0/);
    const after = await withSession(ts, out.session!, 'GET', '/api/session');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('session_ended');
    expect((await auditOf('auth.logout')).some((e) => e.actor === 'sam@acme.com')).toBe(true);
  });

  it('GET /api/session without a session or token is a 401; with a token it says via "token" and has no CSRF token', async () => {
    expect((await ts.api('GET', '/api/session')).status).toBe(401);
    expect((await ts.api('GET', '/api/session', { headers: { cookie: 'sy_session=made-up' } })).status).toBe(401);
    const me = await ts.api('GET', '/api/session', { as: 'oncall' });
    expect(me.body).toMatchObject({ sub: 'oncall-user', role: 'oncall', via: 'token', csrfToken: null, name: null, email: null });
  });
});

describe('refused sign-ins', () => {
  it('a user no rule maps is refused with a page that lists the claim values seen, and the refusal is audited', async () => {
    const out = await signInHeadless(ts.url, 'nobody');
    expect(out.res.status).toBe(403);
    expect(out.session).toBeUndefined();
    expect(out.text).toContain('No role for you yet');
    expect(out.text).toContain('<code>everyone</code>');
    const refused = (await auditOf('auth.login_refused')).find((e) => e.actor === 'nobody@acme.com');
    expect(refused).toMatchObject({ after: { sub: 'nobody', claim: 'groups', seen: ['everyone'] }, reason: expect.stringContaining('no role is mapped') });
  });

  it('a callback with the wrong state is refused and opens no session', async () => {
    const out = await signInHeadless(ts.url, 'pat', { atCallback: (u) => (u.searchParams.set('state', 'not-the-state'), u) });
    expect(out.res.status).toBe(400);
    expect(out.session).toBeUndefined();
  });

  it('a callback replayed (the same code again) is refused', async () => {
    let replay: { url: string; flow: string } | undefined;
    const first = await signInHeadless(ts.url, 'pat', {
      atCallback: (u, jar) => {
        replay = { url: u.href, flow: jar.cookies.get('sy_oidc_flow')! };
        return u;
      },
    });
    expect(first.res.status).toBe(302);
    const again = await fetch(replay!.url, { redirect: 'manual', headers: { cookie: `sy_oidc_flow=${replay!.flow}` } });
    expect(again.status).toBe(400);
    expect(again.headers.getSetCookie().some((c) => c.startsWith('sy_session=') && !/Max-Age=0/.test(c))).toBe(false);
  });

  it('a callback without the sealed flow cookie (not started here) is refused', async () => {
    const out = await signInHeadless(ts.url, 'pat', { atCallback: (u, jar) => (jar.cookies.delete('sy_oidc_flow'), u) });
    expect(out.res.status).toBe(400);
    expect(out.session).toBeUndefined();
  });

  it.each([
    ['a nonce that is not this sign-in\'s', { claims: { nonce: 'someone-elses-nonce' } }],
    ['an audience that is another client', { claims: { aud: 'another-client' } }],
    ['an issuer that is another provider', { claims: { iss: 'https://evil.example' } }],
    ['a signature by a key the provider does not publish', { foreignKey: true as const }],
  ])('an ID token with %s is refused and opens no session', async (_what, tamper) => {
    idp.tamper = tamper;
    try {
      const out = await signInHeadless(ts.url, 'ada');
      expect(out.res.status).toBe(400);
      expect(out.text).toContain('Sign-in refused');
      expect(out.session).toBeUndefined();
    } finally {
      idp.tamper = undefined;
    }
  });
});
