import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIMEOUT, figure, size } from './helpers/reliability-figures.js';
import { JSON_ENDPOINTS, fill, invalidBodies, randomBodies, type JsonEndpoint } from './helpers/reliability-fuzz.js';
import { dbState } from './helpers/reliability-state.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

const SEED = 20261124;
const ADVERSARIAL_RUNS = size(100, 1500);
const RANDOM_RUNS = size(40, 600);

let ts: TestServer;
let sdkKeyId: string;
let cases = 0;
const ROLLOUT = /plan|signoffs|advance|rollback|pause|resume/;

beforeAll(async () => {
  ts = await startTestServer();
  sdkKeyId = (await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'fuzz-target' } })).body.id;
  for (const [i, e] of JSON_ENDPOINTS.entries()) {
    await createFlag(ts, `fz-${i}`, { tags: ['fz'] });
    await createFlag(ts, `ok-${i}`);
    if (ROLLOUT.test(e.path)) {
      for (const k of [`fz-${i}`, `ok-${i}`]) {
        const r = await ts.api('PUT', `/api/flags/${k}/plan`, { token: await ts.token('pm', 'pm-author'), body: { stages: [{ percent: 5 }, { percent: 100 }] } });
        if (r.status !== 200) throw new Error(r.text);
      }
    }
  }
});
afterAll(async () => {
  figure('fuzz: REST cases tried', cases);
  await ts.close();
});

function send(e: JsonEndpoint, i: number, body: unknown, raw?: string, prefix = 'fz') {
  const vars = { flag: `${prefix}-${i}`, key: sdkKeyId };
  const text = raw ?? JSON.stringify(body);
  return ts.api(e.method, fill(e.path, vars), { as: e.as, body: fill(text, vars) });
}

const named = JSON_ENDPOINTS.map((e, i) => [`${e.method} ${e.path}`, e, i] as const);

describe('every JSON endpoint under property-based fuzzing', () => {
  it.each(named)('%s accepts its template body as it is, so each mutation below is what makes a body bad', async (_n, e, i) => {
    const res = await send(e, i, e.valid, undefined, 'ok');
    expect(res.status, res.text).toBeLessThan(500);
    expect([400, 413], res.text).not.toContain(res.status);
  });

  it.each(named)('%s: wrong types, unknown and prototype keys, huge strings, deep nesting and control characters get a clear 4xx and change nothing', async (_n, e, i) => {
    await fc.assert(
      fc.asyncProperty(invalidBodies(e), async (m) => {
        cases++;
        const before = await dbState(ts);
        const res = await send(e, i, m.body, m.raw);
        const label = `${m.what}: ${(m.raw ?? JSON.stringify(m.body) ?? '').slice(0, 300)} -> ${res.status} ${res.text.slice(0, 300)}`;
        expect([400, 413], label).toContain(res.status);
        expect(res.body.error.code, label).toMatch(/^[a-z_]+$/);
        expect(res.body.error.message.length, label).toBeGreaterThan(10);
        expect(await dbState(ts), label).toBe(before);
      }),
      { numRuns: ADVERSARIAL_RUNS, seed: SEED + i },
    );
  }, TIMEOUT);

  it.each(named)('%s: random bodies never get a 5xx, and a refused one changes nothing', async (_n, e, i) => {
    await fc.assert(
      fc.asyncProperty(randomBodies(e), async (body) => {
        cases++;
        const before = await dbState(ts);
        const res = await send(e, i, body);
        const label = `${JSON.stringify(body)?.slice(0, 300)} -> ${res.status} ${res.text.slice(0, 300)}`;
        expect(res.status, label).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.body.error.code, label).toMatch(/^[a-z_]+$/);
          expect(await dbState(ts), label).toBe(before);
        }
      }),
      { numRuns: RANDOM_RUNS, seed: SEED + 100 + i },
    );
  }, TIMEOUT);

  it('random query strings on every GET endpoint never get a 5xx', async () => {
    const paths = ['/api/flags', '/api/flags/fz-0', '/api/audit', '/api/audit/verify', '/api/audit/export', '/api/sdk-keys', '/api/flags/fz-9/plan', '/api/flags/fz-9/signoffs', '/api/flags/fz-9/gates', '/api/flags/fz-9/preview', '/api/flags/fz-9/metrics', '/api/flags/fz-9/propagation'];
    const names = fc.oneof(fc.constantFrom('limit', 'cursor', 'flag', 'actor', 'action', 'from', 'to', 'format', 'expectHead', 'archived', 'tag', 'owner', 'version', 'key', 'attr', 'context', 'stage', 'metric', 'since', '__proto__', 'constructor', 'a[b]', 'a[]'), fc.string({ unit: 'binary', maxLength: 8 }));
    const values = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom('0', '-1', '1e9', '999999999999', 'NaN', 'true', '2026-13-45T99:00:00Z', '{"a":', '{"key":{"__proto__":{"x":1}}}', '[]', 'plan:', ':x', 'x'.repeat(3000)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.array(fc.tuple(names, values), { maxLength: 4 }), async (p, params) => {
        cases++;
        const qs = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        const res = await ts.api('GET', `${p}?${qs}`, { as: 'admin' });
        expect(res.status, `${p}?${qs.slice(0, 300)} -> ${res.text.slice(0, 300)}`).toBeLessThan(500);
      }),
      { numRuns: size(300, 3000), seed: SEED + 200 },
    );
  }, TIMEOUT);

  it('the audit chain still verifies after all of it', async () => {
    const v = await ts.api('GET', '/api/audit/verify', { as: 'admin' });
    expect(v.body).toMatchObject({ ok: true });
  });
});

describe('regressions found by fuzzing', () => {
  it('a flag value nested 30 000 levels deep gets a 400, not a 500 (the recursive JSON schema overflowed the stack)', async () => {
    const before = await dbState(ts);
    const deep = '['.repeat(30_000) + ']'.repeat(30_000);
    const res = await ts.api('POST', '/api/flags', { as: 'engineer', body: `{"key":"deep","owner":"o","on":${deep},"off":[]}` });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.message).toContain('nested more than 64 levels');
    expect(await dbState(ts)).toBe(before);
  });

  it('a metric batch nested 100 000 levels deep gets a 400', async () => {
    const res = await ts.api('POST', '/api/metrics', { as: 'metrics', body: `{"samples":${'['.repeat(100_000)}${']'.repeat(100_000)}}` });
    expect(res.status, res.text).toBe(400);
  });

  it('a flag value 64 levels deep is still accepted', async () => {
    const v = JSON.parse('['.repeat(63) + '1' + ']'.repeat(63));
    const res = await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: 'deep-ok', owner: 'o', on: v, off: [] } });
    expect(res.status, res.text).toBe(201);
  });
});
