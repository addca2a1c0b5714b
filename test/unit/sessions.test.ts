import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { actor, refusal, unitServices, type UnitWorld } from '../helpers/unit-services.js';

// Issue 24: the session rules on the service alone, with a hand-moved clock and no HTTP.

let w: UnitWorld;
beforeEach(async () => {
  w = await unitServices({ deps: { sessions: { ttlSeconds: 12 * 3600, idleSeconds: 2 * 3600 } } });
});
afterEach(async () => {
  await w.close();
});

const pat = { sub: '00u-pat', name: 'Pat Product', email: 'pat@acme.com', role: 'pm' as const, claims: { groups: ['product'] }, claim: 'groups', matched: 'product' };

describe('sessions', () => {
  it('a sign-in opens a session audited auth.login under the email, with the claim that granted the role', async () => {
    const { cookie, session } = await w.sessions.open(pat, 'req-1');
    expect(session).toMatchObject({ sub: '00u-pat', role: 'pm', email: 'pat@acme.com' });
    expect((await w.sessions.resolve(cookie)).id).toBe(session.id);
    const [entry] = (await w.audit.list({ action: 'auth.login' }, undefined, 10)).entries;
    expect(entry).toMatchObject({ actor: 'pat@acme.com', role: 'pm', after: { sub: '00u-pat', claim: 'groups', matched: 'product' } });
  });

  it('the CSRF token is the same for the same cookie and differs between cookies', async () => {
    const a = await w.sessions.open(pat, 'r');
    const b = await w.sessions.open(pat, 'r');
    expect(w.sessions.csrfToken(a.cookie)).toBe(w.sessions.csrfToken(a.cookie));
    expect(w.sessions.csrfToken(a.cookie)).not.toBe(w.sessions.csrfToken(b.cookie));
  });

  it('a request within the idle timeout keeps the session; two hours without one ends it', async () => {
    const { cookie, session } = await w.sessions.open(pat, 'r');
    w.time.advanceMinutes(119);
    await w.sessions.resolve(cookie);
    w.time.advanceMinutes(119);
    await w.sessions.resolve(cookie);
    expect(await w.sessions.ended(session.id)).toBe(false);
    w.time.advanceMinutes(120);
    expect(await refusal(w.sessions.resolve(cookie))).toMatchObject({ status: 401, code: 'session_ended' });
    expect(await w.sessions.ended(session.id)).toBe(true);
    expect(await w.sessions.list()).toEqual([]);
  });

  it('sign-out and an admin revoke end a session once, each audited; a second end is a 404', async () => {
    const one = await w.sessions.open(pat, 'r');
    await w.sessions.logout(actor('pm', 'pat@acme.com'), one.session.id);
    expect(await refusal(w.sessions.resolve(one.cookie))).toMatchObject({ status: 401 });
    const two = await w.sessions.open(pat, 'r');
    await w.sessions.revoke(actor('admin', 'admin-ada'), two.session.id, 'left the company');
    expect(await refusal(w.sessions.revoke(actor('admin', 'admin-ada'), two.session.id, 'again'))).toMatchObject({ status: 404 });
    const actions = (await w.audit.list({ action: 'auth.' }, undefined, 10)).entries.map((e) => e.action);
    expect(actions).toEqual(['auth.login', 'auth.logout', 'auth.login']); // newest first
    expect((await w.audit.list({ action: 'session.revoke' }, undefined, 10)).entries).toMatchObject([{ actor: 'admin-ada', reason: 'left the company', before: { id: two.session.id } }]);
  });

  it('an unknown cookie is a 401 that names no session', async () => {
    expect(await refusal(w.sessions.resolve('not-a-session'))).toMatchObject({ status: 401, code: 'session_ended' });
  });
});
