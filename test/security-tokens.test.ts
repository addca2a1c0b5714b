import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueSdkKey, sdkPeer, upgradeStatus, wsUrl } from './helpers/push-client.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(() => ts.close());

const now = () => Math.floor(Date.now() / 1000);
const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const full = (j: SignJWT) => j.setSubject('mallory').setIssuer('switchyard').setAudience('switchyard').setExpirationTime(now() + 600);

async function sign(build: (j: SignJWT) => SignJWT, secret?: Uint8Array, role = 'admin'): Promise<string> {
  return build(new SignJWT({ role }).setProtectedHeader({ alg: 'HS256' })).sign(secret ?? ts.running.secret);
}

/** Every way a user token must be refused; each also fails at both websocket upgrades. */
const BAD_TOKENS: Array<[string, () => Promise<string>]> = [
  ['signed with another secret', () => sign(full, new Uint8Array(32).fill(7))],
  ['alg none', async () => `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ sub: 'mallory', role: 'admin', iss: 'switchyard', aud: 'switchyard', exp: now() + 600 })}.`],
  ['alg none with a signature', async () => `${enc({ alg: 'none' })}.${enc({ sub: 'mallory', role: 'admin', iss: 'switchyard', aud: 'switchyard', exp: now() + 600 })}.c2ln`],
  ['HS512 with the right secret', async () => full(new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS512' })).sign(new Uint8Array([...ts.running.secret, ...ts.running.secret]))],
  ['expired', () => sign((j) => full(j).setExpirationTime(now() - 120))],
  ['not yet valid (nbf in an hour)', () => sign((j) => full(j).setNotBefore(now() + 3600))],
  ['without exp', () => sign((j) => j.setSubject('mallory').setIssuer('switchyard').setAudience('switchyard'))],
  ['without iss', () => sign((j) => j.setSubject('mallory').setAudience('switchyard').setExpirationTime(now() + 600))],
  ['without aud', () => sign((j) => j.setSubject('mallory').setIssuer('switchyard').setExpirationTime(now() + 600))],
  ['without sub', () => sign((j) => j.setIssuer('switchyard').setAudience('switchyard').setExpirationTime(now() + 600))],
  ['for another audience', () => sign((j) => full(j).setAudience('elsewhere'))],
  ['from another issuer', () => sign((j) => full(j).setIssuer('evil'))],
  ['with an unknown role', () => sign(full, undefined, 'root')],
  ['with the payload edited after signing', async () => {
    const [h, , s] = (await sign(full, undefined, 'viewer')).split('.');
    return `${h}.${enc({ sub: 'mallory', role: 'admin', iss: 'switchyard', aud: 'switchyard', exp: now() + 600 })}.${s}`;
  }],
  ['that is not a JWT', async () => 'not-a-token'],
];

describe('a bad user token is refused everywhere', () => {
  it.each(BAD_TOKENS)('a token %s gets 401 on the REST API', async (_what, make) => {
    const res = await ts.api('GET', '/api/flags', { token: await make() });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toMatch(/^(invalid_token|token_expired)$/);
  });

  it.each(BAD_TOKENS)('a token %s gets 401 at the admin stream upgrade, by header and by subprotocol', async (_what, make) => {
    const tok = await make();
    const url = wsUrl(ts.url, '/api/stream');
    expect(await upgradeStatus(url, { headers: { authorization: `Bearer ${tok}` } })).toBe(401);
    if (/^[\w.-]+$/.test(tok)) expect(await upgradeStatus(url, { protocols: ['switchyard.admin.v1', `bearer.${tok}`] })).toBe(401);
  });

  it.each(BAD_TOKENS)('a token %s is refused at the SDK stream upgrade', async (_what, make) => {
    expect([401, 403]).toContain(await upgradeStatus(wsUrl(ts.url), { headers: { authorization: `Bearer ${await make()}` } }));
  });

  it('the control case: a good token opens both the REST API and the admin stream', async () => {
    const good = await sign(full, undefined, 'viewer');
    expect((await ts.api('GET', '/api/flags', { token: good })).status).toBe(200);
    expect(await upgradeStatus(wsUrl(ts.url, '/api/stream'), { headers: { authorization: `Bearer ${good}` } })).toBe(101);
  });
});

describe('credentials never travel in a URL', () => {
  it('a token or key in the query string authenticates nothing', async () => {
    const tok = await ts.token('admin');
    const { key } = await issueSdkKey(ts, 'in-url');
    for (const q of [`access_token=${tok}`, `token=${tok}`, `authorization=Bearer%20${tok}`]) {
      expect((await ts.api('GET', `/api/flags?${q}`)).status).toBe(401);
      expect(await upgradeStatus(`${wsUrl(ts.url, '/api/stream')}?${q}`)).toBe(401);
    }
    for (const q of [`key=${key}`, `sdkKey=${key}`, `access_token=${key}`]) {
      expect(await upgradeStatus(`${wsUrl(ts.url)}?${q}`)).toBe(401);
      expect((await fetch(`${ts.url}/sdk/flags?${q}`)).status).toBe(401);
    }
  });
});

describe('SDK keys at the websocket upgrades', () => {
  it('a revoked key cannot open either stream, and an SDK key never opens the admin stream', async () => {
    const k = await issueSdkKey(ts, 'soon-revoked');
    expect(await upgradeStatus(wsUrl(ts.url, '/api/stream'), { headers: { authorization: `Bearer ${k.key}` } })).toBe(403);
    expect(await upgradeStatus(wsUrl(ts.url, '/api/stream'), { protocols: ['switchyard.admin.v1', `bearer.${k.key}`] })).toBe(403);
    const live = sdkPeer(ts, k.key);
    await live.next((m) => m.type === 'snapshot');
    expect((await ts.api('POST', `/api/sdk-keys/${k.id}/revoke`, { as: 'admin', body: { reason: 'leaked' } })).status).toBe(200);
    expect((await live.closed).code).toBe(4401);
    expect(await upgradeStatus(wsUrl(ts.url), { headers: { authorization: `Bearer ${k.key}` } })).toBe(401);
    expect(await upgradeStatus(wsUrl(ts.url), { protocols: ['switchyard.v1', `sdk-key.${k.key}`] })).toBe(401);
    expect(await upgradeStatus(wsUrl(ts.url, '/api/stream'), { headers: { authorization: `Bearer ${k.key}` } })).toBe(401);
  });

  it('a key that merely looks like an SDK key (prefix, then garbage) gets 401 on every path', async () => {
    for (const fake of ['sy_sdk_', 'sy_sdk_' + 'a'.repeat(500), 'sy_sdk_../../etc/passwd', "sy_sdk_' or 1=1 --"]) {
      expect((await ts.api('GET', '/api/flags', { token: fake.replace(/\s/g, '') })).status).toBe(401);
      expect(await upgradeStatus(wsUrl(ts.url), { headers: { authorization: `Bearer ${fake.replace(/\s/g, '')}` } })).toBe(401);
    }
  });
});
