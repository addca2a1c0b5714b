import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { ROLES, type Role } from '../server/auth/roles.js';
import { SDK_SUBPROTOCOL } from '@switchyard-flags/sdk/protocol';
import { upgradeStatus, wsUrl } from './helpers/push-client.js';

type Caller = Role | 'sdk' | 'client' | 'anonymous';
/** `sdk` is a server SDK key, `client` a client SDK key (a browser's): neither may call /api. */
const CALLERS: Caller[] = [...ROLES, 'sdk', 'client', 'anonymous'];

interface RouteCase {
  method: string;
  path: string;
  body?: unknown;
  /** The roles that may call it; every other caller gets 403 (401 when anonymous). */
  allowed: Role[];
  /** What the flag needs first so an allowed call can succeed: a plan, a plan signed off for stage 1, or an archive. */
  setup?: 'plan' | 'signed' | 'archived';
}

const READERS: Role[] = ['admin', 'pm', 'engineer', 'oncall', 'viewer'];
const KILLERS: Role[] = ['admin', 'pm', 'engineer', 'oncall'];

// A fresh flag per case and caller, so every allowed call can succeed on its own.
const ROUTES: RouteCase[] = [
  { method: 'GET', path: '/api/flags', allowed: READERS },
  { method: 'POST', path: '/api/flags', body: { key: '{new}', owner: 'o' }, allowed: ['admin', 'engineer'] },
  { method: 'GET', path: '/api/flags/{flag}', allowed: READERS },
  { method: 'PATCH', path: '/api/flags/{flag}', body: { version: 1, description: 'd' }, allowed: ['admin', 'engineer'] },
  { method: 'POST', path: '/api/flags/{flag}/archive', body: { reason: 'r' }, allowed: ['admin', 'engineer'] },
  { method: 'POST', path: '/api/flags/{flag}/unarchive', body: { reason: 'r' }, allowed: ['admin'], setup: 'archived' },
  { method: 'POST', path: '/api/flags/{flag}/kill', body: { reason: 'r' }, allowed: KILLERS },
  { method: 'POST', path: '/api/flags/{flag}/restore', body: { reason: 'r' }, allowed: KILLERS },
  { method: 'POST', path: '/api/kill', body: { tag: '{tag}', reason: 'r' }, allowed: KILLERS },
  { method: 'POST', path: '/api/restore', body: { tag: '{tag}', reason: 'r' }, allowed: KILLERS },
  { method: 'GET', path: '/api/audit', allowed: READERS },
  { method: 'GET', path: '/api/audit/verify', allowed: READERS },
  { method: 'GET', path: '/api/audit/export?format=csv', allowed: READERS },
  { method: 'GET', path: '/api/audit/checkpoints', allowed: READERS },
  { method: 'GET', path: '/api/audit/checkpoints/verify', allowed: READERS },
  { method: 'GET', path: '/api/sdk-keys', allowed: ['admin'] },
  { method: 'PUT', path: '/api/flags/{flag}/plan', body: { stages: [{ percent: 5 }, { percent: 100 }] }, allowed: ['admin', 'pm'] },
  { method: 'GET', path: '/api/flags/{flag}/plan', allowed: READERS, setup: 'plan' },
  { method: 'GET', path: '/api/flags/{flag}/signoffs', allowed: READERS, setup: 'plan' },
  { method: 'POST', path: '/api/flags/{flag}/signoffs', body: { comment: 'ok', snapshotId: '{snapshot}' }, allowed: ['pm'], setup: 'plan' },
  { method: 'GET', path: '/api/flags/{flag}/gates', allowed: READERS, setup: 'plan' },
  { method: 'POST', path: '/api/flags/{flag}/advance', body: { reason: 'r' }, allowed: ['admin', 'pm'], setup: 'signed' },
  { method: 'POST', path: '/api/flags/{flag}/rollback', body: { reason: 'r' }, allowed: ['admin', 'pm', 'oncall'], setup: 'plan' },
  { method: 'POST', path: '/api/flags/{flag}/pause', body: { reason: 'r' }, allowed: ['admin', 'pm', 'oncall'], setup: 'plan' },
  { method: 'POST', path: '/api/flags/{flag}/resume', body: { reason: 'r' }, allowed: ['admin', 'pm', 'oncall'], setup: 'plan' },
  { method: 'GET', path: '/api/flags/{flag}/preview?key=user-1', allowed: READERS, setup: 'plan' },
  { method: 'POST', path: '/api/metrics', body: { flag: '{flag}', metric: 'error_rate', value: 0.01 }, allowed: ['admin', 'engineer', 'metrics'] },
  { method: 'GET', path: '/api/flags/{flag}/metrics', allowed: READERS },
  { method: 'GET', path: '/api/flags/{flag}/propagation', allowed: READERS },
  { method: 'POST', path: '/api/sdk-keys', body: { name: 'svc' }, allowed: ['admin'] },
  { method: 'POST', path: '/api/tokens/revoke', body: { sub: '{flag}-leaver', reason: 'r' }, allowed: ['admin'] },
];

let ts: TestServer;
let sdkKey: string;
let clientKey: string;
let n = 0;

beforeAll(async () => {
  ts = await startTestServer();
  const res = await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'checkout-service' } });
  sdkKey = res.body.key;
  clientKey = (await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'checkout-web', kind: 'client' } })).body.key;
});
afterAll(() => ts.close());

async function credential(c: Caller): Promise<string | undefined> {
  if (c === 'anonymous') return undefined;
  if (c === 'sdk') return sdkKey;
  if (c === 'client') return clientKey;
  return ts.token(c);
}

function fill(s: string, flag: string, tag: string): string {
  return s.replaceAll('{flag}', flag).replaceAll('{tag}', tag).replaceAll('{new}', `${flag}-new`);
}

describe('every route for every role', () => {
  const cases = ROUTES.flatMap((r) => CALLERS.map((c) => [`${r.method} ${r.path}`, c, r] as const));

  it.each(cases)('%s as %s is allowed or refused as the role table says, and a refusal changes nothing', async (_name, caller, route) => {
    const i = ++n;
    const flag = `rt-${i}`;
    const tag = `t${i}`;
    await createFlag(ts, flag, { tags: [tag] });
    if (route.setup === 'archived') {
      const archived = await ts.api('POST', `/api/flags/${flag}/archive`, { as: 'engineer', body: {} });
      expect(archived.status, archived.text).toBe(200);
    } else if (route.setup) {
      const plan = await ts.api('PUT', `/api/flags/${flag}/plan`, { token: await ts.token('pm', 'plan-author'), body: { stages: [{ percent: 5 }, { percent: 100 }] } });
      expect(plan.status, plan.text).toBe(200);
    }
    if (route.setup === 'signed') {
      const snapshotId = (await ts.api('GET', `/api/flags/${flag}/gates`, { as: 'viewer' })).body.snapshotId;
      const so = await ts.api('POST', `/api/flags/${flag}/signoffs`, { token: await ts.token('pm', 'pm-signer'), body: { comment: 'ok', snapshotId } });
      expect(so.status, so.text).toBe(201);
    }
    const before = (await ts.api('GET', '/api/audit/verify', { as: 'admin' })).body.count;
    let text = route.body === undefined ? undefined : fill(JSON.stringify(route.body), flag, tag);
    // A sign-off signs the evidence the gates show (its snapshotId).
    if (text?.includes('{snapshot}')) text = text.replaceAll('{snapshot}', (await ts.api('GET', `/api/flags/${flag}/gates`, { as: 'viewer' })).body.snapshotId);
    const body = text === undefined ? undefined : JSON.parse(text);
    const res = await ts.api(route.method, fill(route.path, flag, tag), { token: await credential(caller), body });
    const after = (await ts.api('GET', '/api/audit/verify', { as: 'admin' })).body.count;
    if (caller === 'anonymous') {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    } else if (caller !== 'sdk' && caller !== 'client' && route.allowed.includes(caller)) {
      expect(res.status, res.text).toBeLessThan(300);
      return;
    } else {
      expect(res.status, res.text).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect(after).toBe(before);
  });
});

/** The routes SDKs call, by credential: a server key reads full flag states, a client key only evaluated answers (OFREP). */
describe('the SDK-facing routes for every kind of caller', () => {
  const SDK_ROUTES = [
    { name: 'GET /sdk/flags', call: (h: Record<string, string>) => ts.api('GET', '/sdk/flags', { headers: h }), client: false },
    { name: 'POST /ofrep/v1/evaluate/flags', call: (h: Record<string, string>) => ts.api('POST', '/ofrep/v1/evaluate/flags', { headers: h, body: { context: { targetingKey: 'u' } } }), client: true },
    { name: 'POST /ofrep/v1/evaluate/flags/{key}', call: (h: Record<string, string>) => ts.api('POST', '/ofrep/v1/evaluate/flags/sdk-matrix', { headers: h, body: { context: { targetingKey: 'u' } } }), client: true },
    { name: 'the /sdk/stream upgrade', call: async (h: Record<string, string>) => ({ status: await upgradeStatus(wsUrl(ts.url), { headers: h, protocols: [SDK_SUBPROTOCOL] }) }), client: false },
  ];
  const cases = SDK_ROUTES.flatMap((r) => CALLERS.map((c) => [r.name, c, r] as const));
  beforeAll(() => createFlag(ts, 'sdk-matrix'));

  it.each(cases)('%s as %s is allowed or refused as the key kind says, and a refusal changes nothing', async (_name, caller, route) => {
    const cred = await credential(caller);
    const before = (await ts.api('GET', '/api/audit/verify', { as: 'admin' })).body.count;
    const res = await route.call(cred ? { authorization: `Bearer ${cred}` } : {});
    const expected = caller === 'anonymous' ? 401 : caller === 'sdk' || (caller === 'client' && route.client) ? 'ok' : 403;
    if (expected === 'ok') {
      expect([101, 200]).toContain(res.status);
    } else expect(res.status).toBe(expected);
    expect((await ts.api('GET', '/api/audit/verify', { as: 'admin' })).body.count).toBe(before);
  });
});

describe('tokens', () => {
  const claims = { role: 'admin' };
  async function sign(secret: Uint8Array, build: (j: SignJWT) => SignJWT): Promise<string> {
    return build(new SignJWT(claims).setProtectedHeader({ alg: 'HS256' })).sign(secret);
  }
  const now = () => Math.floor(Date.now() / 1000);

  it('a token signed with another secret gets 401', async () => {
    const tok = await sign(new Uint8Array(32).fill(7), (j) => j.setSubject('a').setIssuer('switchyard').setAudience('switchyard').setExpirationTime(now() + 60));
    const res = await ts.api('GET', '/api/flags', { token: tok });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_token');
  });

  it('an expired token gets 401 saying it expired', async () => {
    const tok = await sign(ts.running.secret, (j) => j.setSubject('a').setIssuer('switchyard').setAudience('switchyard').setExpirationTime(now() - 120));
    const res = await ts.api('GET', '/api/flags', { token: tok });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('token_expired');
  });

  it.each([
    ['exp', (j: SignJWT) => j.setSubject('a').setIssuer('switchyard').setAudience('switchyard')],
    ['iss', (j: SignJWT) => j.setSubject('a').setAudience('switchyard').setExpirationTime(now() + 60)],
    ['aud', (j: SignJWT) => j.setSubject('a').setIssuer('switchyard').setExpirationTime(now() + 60)],
    ['sub', (j: SignJWT) => j.setIssuer('switchyard').setAudience('switchyard').setExpirationTime(now() + 60)],
  ])('a token without %s gets 401', async (_claim, build) => {
    const res = await ts.api('GET', '/api/flags', { token: await sign(ts.running.secret, build) });
    expect(res.status).toBe(401);
  });

  it('a token for another audience gets 401', async () => {
    const tok = await sign(ts.running.secret, (j) => j.setSubject('a').setIssuer('switchyard').setAudience('elsewhere').setExpirationTime(now() + 60));
    expect((await ts.api('GET', '/api/flags', { token: tok })).status).toBe(401);
  });

  it('a token with an unknown role gets 401', async () => {
    const tok = await new SignJWT({ role: 'god' }).setProtectedHeader({ alg: 'HS256' }).setSubject('a').setIssuer('switchyard').setAudience('switchyard').setExpirationTime(now() + 60).sign(ts.running.secret);
    expect((await ts.api('GET', '/api/flags', { token: tok })).status).toBe(401);
  });

  it('an unsigned alg:none token gets 401', async () => {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const tok = `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ sub: 'a', role: 'admin', iss: 'switchyard', aud: 'switchyard', exp: now() + 60 })}.`;
    const res = await ts.api('GET', '/api/flags', { token: tok });
    expect(res.status).toBe(401);
  });

  it('a revoked SDK key gets 401', async () => {
    const created = await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'to-revoke' } });
    const revoked = await ts.api('POST', `/api/sdk-keys/${created.body.id}/revoke`, { as: 'admin', body: { reason: 'leaked' } });
    expect(revoked.body.revokedAt).not.toBeNull();
    const res = await ts.api('GET', '/api/flags', { token: created.body.key });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_sdk_key');
  });

  it('an SDK key is shown once and stored only as a hash', async () => {
    const created = await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'hashed' } });
    expect(created.body.key).toMatch(/^sy_sdk_/);
    const list = await ts.api('GET', '/api/sdk-keys', { as: 'admin' });
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
    const row = await ts.running.storage.db.selectFrom('sdk_keys').select('key_hash').where('id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(row.key_hash).not.toContain(created.body.key);
    expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
