import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { startServer } from '../server/main.js';
import { cli } from './helpers/cli.js';
import { rawPeer, wsUrl } from './helpers/push-client.js';
import { startTestServer, tempDataDir, type TestServer } from './helpers/server.js';
import { onPostgres } from './helpers/test-db.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ config: { heartbeatMs: 300, metricsTokenMaxTtlSeconds: 400 * 86400 } });
});
afterAll(() => ts.close());

const now = () => Math.floor(Date.now() / 1000);
const DAY = 86400;

/** A token signed with the server's secret: `iat`/`exp` as given (epoch seconds), a fresh jti. */
function sign(sub: string, role: string, o: { iat?: number; exp: number; jti?: string }): Promise<string> {
  const j = new SignJWT({ role }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuer('switchyard').setAudience('switchyard').setExpirationTime(o.exp);
  if (o.iat !== undefined) j.setIssuedAt(o.iat);
  j.setJti(o.jti ?? crypto.randomUUID());
  return j.sign(ts.running.secret);
}

const adminStream = (token: string) => rawPeer(wsUrl(ts.url, '/api/stream'), { protocols: ['switchyard.admin.v1', `bearer.${token}`] });
const auditCount = async () => (await ts.api('GET', '/api/audit/verify', { as: 'admin' })).body.count as number;

describe('revoking user tokens', () => {
  it('by jti: that token gets 401 token_revoked on its next request and its admin stream closes with 4401; another token of the same person keeps working; it is audited', async () => {
    const leaked = await sign('dana', 'engineer', { iat: now(), exp: now() + 3600, jti: 'jti-leaked-1' });
    const other = await sign('dana', 'engineer', { iat: now(), exp: now() + 3600 });
    expect((await ts.api('GET', '/api/flags', { token: leaked })).status).toBe(200);
    const stream = adminStream(leaked);
    await stream.next((m) => m.type === 'hello');
    const res = await ts.api('POST', '/api/tokens/revoke', { as: 'admin', body: { jti: 'jti-leaked-1', reason: 'pasted in a public channel' } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ jti: 'jti-leaked-1', sub: null, revokedBy: 'admin-user' });
    const refused = await ts.api('GET', '/api/flags', { token: leaked });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('token_revoked');
    expect(await stream.closed).toEqual({ code: 4401, reason: 'token_revoked' });
    expect((await ts.api('GET', '/api/flags', { token: other })).status).toBe(200);
    const entry = (await ts.api('GET', '/api/audit?action=token.revoke', { as: 'admin' })).body.entries[0];
    expect(entry).toMatchObject({ actor: 'admin-user', action: 'token.revoke', reason: 'pasted in a public channel', after: { jti: 'jti-leaked-1' } });
  });

  it('by subject: every token of that subject issued before the time is refused; one issued after works', async () => {
    const old1 = await sign('erin', 'oncall', { iat: now() - 600, exp: now() + 3600 });
    const old2 = await sign('erin', 'admin', { iat: now() - 5, exp: now() + 3600 });
    const res = await ts.api('POST', '/api/tokens/revoke', { as: 'admin', body: { sub: 'erin', reason: 'left the company' } });
    expect(res.status, res.text).toBe(200);
    for (const t of [old1, old2]) expect((await ts.api('GET', '/api/flags', { token: t })).body.error.code).toBe('token_revoked');
    const fresh = await sign('erin', 'oncall', { iat: now() + 30, exp: now() + 3600 }); // issued after the revocation (within the 60 s skew)
    expect((await ts.api('GET', '/api/flags', { token: fresh })).status).toBe(200);
    const past = await ts.api('POST', '/api/tokens/revoke', { as: 'admin', body: { sub: 'frank', before: new Date((now() - 3600) * 1000).toISOString(), reason: 'r' } });
    expect(past.status).toBe(200);
    expect((await ts.api('GET', '/api/flags', { token: await sign('frank', 'viewer', { iat: now() - 7200, exp: now() + 60 }) })).status).toBe(401);
    expect((await ts.api('GET', '/api/flags', { token: await sign('frank', 'viewer', { iat: now() - 60, exp: now() + 60 }) })).status).toBe(200);
  });

  it.each([
    ['neither jti nor sub', { reason: 'r' }],
    ['both jti and sub', { jti: 'a', sub: 'b', reason: 'r' }],
    ['before without sub', { jti: 'a', before: '2026-01-01T00:00:00Z', reason: 'r' }],
    ['a before that is not a time', { sub: 'b', before: 'yesterday', reason: 'r' }],
    ['no reason', { sub: 'b' }],
    ['an unknown field', { sub: 'b', reason: 'r', everyone: true }],
  ])('a revocation with %s is a 400 that changes nothing', async (_what, body) => {
    const before = await auditCount();
    const res = await ts.api('POST', '/api/tokens/revoke', { as: 'admin', body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_body');
    expect(await auditCount()).toBe(before);
  });

  it('switchyard revoke-token writes through the same service (audited as the CLI user), and an open admin stream of that token closes within a heartbeat', async () => {
    const token = await sign('gita', 'viewer', { iat: now(), exp: now() + 3600, jti: 'jti-cli-1' });
    const stream = adminStream(token);
    await stream.next((m) => m.type === 'hello');
    const r = await cli(['revoke-token', '--jti', 'jti-cli-1', '--reason', 'leaked in a ticket'], { DATA_DIR: ts.dataDir, DATABASE_URL: ts.databaseUrl ?? '' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('revoked token jti-cli-1\n');
    // SQLite: the server sees the other process's commit at its next request (data_version).
    // PostgreSQL: within the revocation poll (about a second, docs/reliability.md), by the time the stream closes.
    if (!onPostgres) expect((await ts.api('GET', '/api/flags', { token })).body.error.code).toBe('token_revoked');
    expect(await stream.closed).toEqual({ code: 4401, reason: 'token_revoked' });
    expect((await ts.api('GET', '/api/flags', { token })).body.error.code).toBe('token_revoked');
    const entry = (await ts.api('GET', '/api/audit?action=token.revoke', { as: 'admin' })).body.entries[0];
    expect(entry.actor).toMatch(/^cli:/);
    expect(entry.reason).toBe('leaked in a ticket');
    const bad = await cli(['revoke-token', '--jti', 'x', '--sub', 'y', '--reason', 'r'], { DATA_DIR: ts.dataDir, DATABASE_URL: ts.databaseUrl ?? '' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('exactly one of --jti or --sub');
  });
});

describe('token lifetimes', () => {
  it('an admin stream closes with 4419 token_expired when its token expires', async () => {
    const token = await sign('hana', 'viewer', { iat: now(), exp: now() + 2 });
    const stream = adminStream(token);
    await stream.next((m) => m.type === 'hello');
    expect(await stream.closed).toEqual({ code: 4419, reason: 'token_expired' });
  });

  it.each([
    ['an exp a century away', { iat: now(), exp: now() + 100 * 365 * DAY }],
    ['31 days of life (the default maximum is 30)', { iat: now(), exp: now() + 31 * DAY }],
    ['no iat and an exp 40 days away', { exp: now() + 40 * DAY }],
    ['an iat ten years in the future', { iat: now() + 10 * 365 * DAY, exp: now() + 10 * 365 * DAY + 3600 }],
    ['an iat two minutes in the future (beyond the 60 s skew)', { iat: now() + 120, exp: now() + 3600 }],
  ])('a token with %s is refused with 401', async (_what, claims) => {
    const res = await ts.api('GET', '/api/flags', { token: await sign('ivan', 'admin', claims) });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_token');
  });

  it('30 days is accepted; the metrics role may live longer only because SAMPLES_TOKEN_MAX_TTL says so', async () => {
    expect((await ts.api('GET', '/api/flags', { token: await sign('jo', 'viewer', { iat: now(), exp: now() + 30 * DAY }) })).status).toBe(200);
    const metrics = await sign('scraper', 'metrics', { iat: now(), exp: now() + 300 * DAY });
    expect((await ts.api('POST', '/api/metrics', { token: metrics, body: { flag: 'nope', metric: 'error_rate', value: 0 } })).status).not.toBe(401);
    expect((await ts.api('GET', '/api/flags', { token: await sign('jo', 'viewer', { iat: now(), exp: now() + 300 * DAY }) })).status).toBe(401);
  });

  it('the CLI refuses a --ttl beyond the server maximum (MAX_TOKEN_TTL) and issues one within it', async () => {
    const long = await cli(['token', '--sub', 'k', '--role', 'admin', '--ttl', '31d'], { DATA_DIR: ts.dataDir });
    expect(long.code).toBe(2);
    expect(long.stderr).toContain('ttl must be between 1s and 30d');
    expect(long.stdout).toBe('');
    const short = await cli(['token', '--sub', 'k', '--role', 'admin', '--ttl', '8d'], { DATA_DIR: ts.dataDir, MAX_TOKEN_TTL: '7d' });
    expect(short.code).toBe(2);
    const ok = await cli(['token', '--sub', 'k', '--role', 'admin', '--ttl', '30d'], { DATA_DIR: ts.dataDir });
    expect(ok.code, ok.stderr).toBe(0);
    expect((await ts.api('GET', '/api/flags', { token: ok.stdout.trim() })).status).toBe(200);
  });
});

describe('JWKS mode', () => {
  it('refuses to start without JWT_ISSUER, with a clear message', async () => {
    const config = configFromEnv({}, { port: 0, dataDir: tempDataDir(), jwksUrl: 'http://127.0.0.1:9/jwks.json' });
    await expect(startServer({ config, log: createLogger('silent') })).rejects.toThrow(/JWKS_URL is set without JWT_ISSUER/);
    const r = await cli(['serve'], { DATA_DIR: tempDataDir(), PORT: '0', JWKS_URL: 'http://127.0.0.1:9/jwks.json' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('JWT_ISSUER');
  });
});
