import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

let idp: http.Server;
let ts: TestServer;
let privateKey: CryptoKey;
let otherKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey as CryptoKey;
  otherKey = (await generateKeyPair('ES256')).privateKey as CryptoKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  idp = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
  const jwksUrl = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json`;
  ts = await startTestServer({ config: { jwksUrl, jwtIssuer: 'https://idp.acme.test', jwtAudience: 'switchyard', jwtRoleClaim: 'sy_role' } });
});
afterAll(async () => {
  await ts.close();
  idp.close();
});

function idpToken(key: CryptoKey, claims: Record<string, unknown>, iss = 'https://idp.acme.test') {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setSubject('carol@acme')
    .setIssuer(iss)
    .setAudience('switchyard')
    .setExpirationTime('5m')
    .sign(key);
}

describe('an external identity provider (JWKS_URL)', () => {
  it('its tokens are accepted with the role from the configured claim, and the subject lands in the audit', async () => {
    const token = await idpToken(privateKey, { sy_role: 'engineer' });
    const res = await ts.api('POST', '/api/flags', { token, body: { key: 'from-idp', owner: 'carol@acme' } });
    expect(res.status, res.text).toBe(201);
    expect(res.body.createdBy).toBe('carol@acme');
  });

  it('a token signed by a key not in the JWKS gets 401', async () => {
    const token = await idpToken(otherKey, { sy_role: 'admin' });
    expect((await ts.api('GET', '/api/flags', { token })).status).toBe(401);
  });

  it('a token from another issuer gets 401', async () => {
    const token = await idpToken(privateKey, { sy_role: 'admin' }, 'https://evil.test');
    expect((await ts.api('GET', '/api/flags', { token })).status).toBe(401);
  });

  it('our own HS256 tokens still work beside it', async () => {
    expect((await ts.api('GET', '/api/flags', { as: 'viewer' })).status).toBe(200);
  });
});
