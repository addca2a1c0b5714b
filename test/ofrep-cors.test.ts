import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

const APP = 'https://app.example';
const OTHER = 'https://evil.example';

describe('cross-origin access for browser apps, from ALLOWED_ORIGINS only', () => {
  let ts: TestServer;
  let clientKey: string;
  let serverKey: string;

  beforeAll(async () => {
    ts = await startTestServer({ config: { allowedOrigins: [APP] } });
    await createFlag(ts, 'banner', { on: 'new', off: 'old' });
    clientKey = (await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'web', kind: 'client' } })).body.key;
    serverKey = (await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'edge' } })).body.key;
  });
  afterAll(() => ts.close());

  const preflight = (path: string, origin: string, headers = 'authorization,content-type,if-none-match,x-api-key') =>
    fetch(ts.url + path, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers } });

  it('answers a preflight for the OFREP routes from an allowed origin, allowing the headers a provider sends', async () => {
    for (const path of ['/ofrep/v1/evaluate/flags', '/ofrep/v1/evaluate/flags/banner']) {
      const res = await preflight(path, APP);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(APP);
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      const allowed = res.headers.get('access-control-allow-headers')!.toLowerCase().split(',');
      expect(allowed).toEqual(expect.arrayContaining(['authorization', 'x-api-key', 'content-type', 'if-none-match']));
      expect(res.headers.get('vary')).toContain('Origin');
    }
  });

  it('lets an allowed origin read an OFREP answer and its ETag, and GET /sdk/flags', async () => {
    const res = await fetch(`${ts.url}/ofrep/v1/evaluate/flags`, { method: 'POST', headers: { origin: APP, 'x-api-key': clientKey, 'content-type': 'application/json' }, body: '{"context":{"targetingKey":"u"}}' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-expose-headers')).toContain('ETag');
    expect(res.headers.get('etag')).toBeTruthy();
    const snapshot = await fetch(`${ts.url}/sdk/flags`, { headers: { origin: APP, authorization: `Bearer ${serverKey}` } });
    expect(snapshot.status).toBe(200);
    expect(snapshot.headers.get('access-control-allow-origin')).toBe(APP);
    expect(snapshot.headers.get('access-control-expose-headers')).toContain('ETag');
  });

  it('gives any other origin no CORS headers at all, on the preflight and on the answer', async () => {
    const pre = await preflight('/ofrep/v1/evaluate/flags', OTHER);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.headers.get('access-control-allow-headers')).toBeNull();
    const res = await fetch(`${ts.url}/ofrep/v1/evaluate/flags`, { method: 'POST', headers: { origin: OTHER, 'x-api-key': clientKey, 'content-type': 'application/json' }, body: '{}' });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-expose-headers')).toBeNull();
  });

  it('keeps the admin API same-origin: no CORS for /api even from an allowed origin', async () => {
    const pre = await fetch(`${ts.url}/api/flags`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'GET' } });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const res = await ts.api('GET', '/api/flags', { as: 'viewer', headers: { origin: APP } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
