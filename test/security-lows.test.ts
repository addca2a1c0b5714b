import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(() => ts.close());

const now = () => Math.floor(Date.now() / 1000);
const auditCount = async () => (await ts.api('GET', '/api/audit/verify', { as: 'admin' })).body.count as number;
const sign = (sub: string) =>
  new SignJWT({ role: 'engineer' }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer('switchyard').setAudience('switchyard').setIssuedAt(now()).setExpirationTime(now() + 3600).setJti(crypto.randomUUID()).sign(ts.running.secret);

describe('a path that is not valid percent-encoding', () => {
  it.each(['/api/flags/%ZZ', '/api/flags/%E0%A4%A', '/ofrep/v1/evaluate/flags/%ZZ', '/api/flags/%ZZ/kill'])('%s is a 400 naming the path, never a 500', async (p) => {
    const method = p.startsWith('/ofrep') || p.endsWith('/kill') ? 'POST' : 'GET';
    const res = await ts.api(method, p, { as: 'admin', body: method === 'POST' ? { reason: 'r' } : undefined });
    expect(res.status, res.text).toBe(400);
    expect(res.text).toContain('percent-encod');
  });
});

describe('token subjects that would forge lines in the audit', () => {
  it.each([
    ['a newline', 'mallory\nadmin-user killed every flag'],
    ['a right-to-left override', 'eve\u202Enimda'],
    ['a bidi isolate', 'eve\u2066admin\u2069'],
    ['a NUL', 'eve\u0000'],
  ])('a token whose subject holds %s is refused with 401 and writes nothing', async (_what, sub) => {
    const before = await auditCount();
    const res = await ts.api('POST', '/api/flags', { token: await sign(sub), body: { key: 'subject-probe', owner: 'o' } });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain('subject');
    expect(await auditCount()).toBe(before);
  });

  it('switchyard token refuses such a subject with one line and mints nothing', async () => {
    const r = await cli(['token', '--sub', 'mallory\nadmin', '--role', 'admin'], { DATA_DIR: ts.dataDir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    // The mistake is the first line (the usage summary may follow), never a stack.
    expect(r.stderr.split('\n')[0]).toContain('--sub: a token subject may not contain control characters');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('a token revocation dated in the far future', () => {
  it('"every token of a subject issued before 2999" is a 400 (it would lock that subject out for good) and changes nothing', async () => {
    const before = await auditCount();
    const res = await ts.api('POST', '/api/tokens/revoke', { as: 'admin', body: { sub: 'dana', before: '2999-01-01T00:00:00Z', reason: 'r' } });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.message).toContain('before');
    expect(await auditCount()).toBe(before);
    expect((await ts.api('GET', '/api/flags', { token: await sign('dana') })).status).toBe(200);
  });

  it('one a few seconds ahead (within the clock skew) is accepted', async () => {
    const res = await ts.api('POST', '/api/tokens/revoke', { as: 'admin', body: { sub: 'erin', before: new Date((now() + 30) * 1000).toISOString(), reason: 'r' } });
    expect(res.status, res.text).toBe(200);
  });
});
