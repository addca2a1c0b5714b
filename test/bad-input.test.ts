import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
  await createFlag(ts, 'target', { tags: ['ai'] });
});
afterAll(() => ts.close());

/** Everything a bad request must leave untouched: the flags and the audit head. */
async function state(): Promise<string> {
  const flags = await ts.api('GET', '/api/flags?archived=true', { as: 'admin' });
  const v = await ts.api('GET', '/api/audit/verify', { as: 'admin' });
  return JSON.stringify([flags.body, v.body]);
}

const ENDPOINTS: Array<[string, string]> = [
  ['POST', '/api/flags'],
  ['PATCH', '/api/flags/target'],
  ['POST', '/api/flags/target/archive'],
  ['POST', '/api/flags/target/kill'],
  ['POST', '/api/flags/target/restore'],
  ['POST', '/api/kill'],
  ['POST', '/api/restore'],
  ['POST', '/api/sdk-keys'],
];

const BAD_BODIES: Array<[string, string | object, number, string]> = [
  ['malformed JSON', '{"reason": ', 400, 'invalid_json'],
  ['a JSON array', '[1,2]', 400, 'invalid_body'],
  ['a bare string', '"kill it"', 400, 'invalid_json'],
  ['wrong types', { key: 5, owner: [], reason: 7, version: 'one', name: false, tag: 3, all: 'yes' }, 400, 'invalid_body'],
  ['an unknown field', { reason: 'r', key: 'k2', owner: 'o', version: 1, name: 'n', all: true, description: 'x', surprise: 1 }, 400, 'invalid_body'],
  ['a __proto__ key', '{"reason":"r","key":"k3","owner":"o","version":1,"name":"n","all":true,"description":"x","__proto__":{"admin":true}}', 400, 'invalid_body'],
  ['control characters in a reason', { reason: 'line1\nline2\u0000', key: 'bad\u0000key', owner: 'o\u0007', name: 'n\u001b', version: 1, all: true, description: 'x' }, 400, 'invalid_body'],
  ['an oversized body', { reason: 'x'.repeat(70 * 1024) }, 413, 'payload_too_large'],
];

describe('bad input gets a clear 4xx and changes nothing', () => {
  const cases = ENDPOINTS.flatMap(([m, p]) => BAD_BODIES.map(([what, body, status, code]) => [`${m} ${p}`, what, m, p, body, status, code] as const));

  it.each(cases)('%s with %s', async (_n, _what, method, path, body, status, code) => {
    const before = await state();
    const res = await ts.api(method, path, { as: 'admin', body });
    expect(res.status, res.text).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message.length).toBeGreaterThan(10);
    expect(await state()).toBe(before);
  });

  it('a body that is not JSON gets 415', async () => {
    const before = await state();
    const res = await ts.api('POST', '/api/flags/target/kill', { as: 'admin', body: 'reason=cost', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
    expect(await state()).toBe(before);
  });

  it('validation errors name every offending field path', async () => {
    const res = await ts.api('POST', '/api/flags', { as: 'admin', body: { key: 'has space', owner: '', tags: ['UPPER', 'ok'] } });
    expect(res.status).toBe(400);
    const paths = res.body.error.details.map((d: any) => d.path).sort();
    expect(paths).toEqual(['key', 'owner', 'tags.0']);
  });

  it('bad query parameters get 400, not 500', async () => {
    for (const q of ['/api/audit?limit=0', '/api/audit?limit=abc', '/api/audit?cursor=xyz', '/api/audit?bogus=1', '/api/audit/export?format=xml', '/api/flags?archived=maybe']) {
      const res = await ts.api('GET', q, { as: 'viewer' });
      expect(res.status, q).toBe(400);
      expect(res.body.error.code).toBe('invalid_query');
    }
  });

  it('random JSON bodies on every endpoint never get a 5xx, and a rejected one changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ENDPOINTS), fc.jsonValue({ maxDepth: 4 }), async ([method, path], body) => {
        const before = await state();
        const res = await ts.api(method, path, { as: 'admin', body: JSON.stringify(body) });
        expect(res.status, `${method} ${path} ${JSON.stringify(body)} -> ${res.text}`).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.body.error.code).toMatch(/^[a-z_]+$/);
          expect(await state()).toBe(before);
        }
      }),
      { numRuns: 150, seed: 20261124 },
    );
  });
});
