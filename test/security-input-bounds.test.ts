import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../server/auth/roles.js';
import { snapshotId } from '../server/rollout/plan-store.js';
import { snapshotOf } from '../server/rollout/signoff-evidence.js';
import { dbState } from './helpers/reliability-state.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

let ts: TestServer;
let n = 0;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(() => ts.close());

interface Bound {
  field: string;
  /** The error path the 400 must name. */
  path: string;
  as: Role;
  method: string;
  url: (flag: string) => string;
  body: (v: string, flag: string) => unknown;
  max: number;
  /** A free-text field (reasons, owners, names): controls, bidi overrides and blanks are refused too. */
  text?: boolean;
  needsPlan?: boolean;
}

const stages = (name: string) => [{ percent: 5, name }, { percent: 100 }];
/** The evidence a sign-off of the default plan's first stage (no checks) signs: the same for every fresh flag. */
const NO_CHECKS = snapshotId(snapshotOf(1, []));
const BOUNDS: Bound[] = [
  { field: 'flag key', path: 'key', as: 'engineer', method: 'POST', url: () => '/api/flags', body: (v) => ({ key: v, owner: 'o' }), max: 100 },
  { field: 'owner', path: 'owner', as: 'engineer', method: 'POST', url: () => '/api/flags', body: (v, f) => ({ key: `${f}-new`, owner: v }), max: 200, text: true },
  { field: 'description', path: 'description', as: 'engineer', method: 'POST', url: () => '/api/flags', body: (v, f) => ({ key: `${f}-new`, owner: 'o', description: v }), max: 2000 },
  { field: 'tag', path: 'tags.0', as: 'engineer', method: 'POST', url: () => '/api/flags', body: (v, f) => ({ key: `${f}-new`, owner: 'o', tags: [v] }), max: 40 },
  { field: 'kill reason', path: 'reason', as: 'oncall', method: 'POST', url: (f) => `/api/flags/${f}/kill`, body: (v) => ({ reason: v }), max: 1000, text: true },
  { field: 'bulk-kill tag', path: 'tag', as: 'oncall', method: 'POST', url: () => '/api/kill', body: (v) => ({ tag: v, reason: 'r' }), max: 40 },
  { field: 'edit reason', path: 'reason', as: 'engineer', method: 'PATCH', url: (f) => `/api/flags/${f}`, body: (v) => ({ version: 1, description: 'd', reason: v }), max: 1000, text: true },
  { field: 'SDK key name', path: 'name', as: 'admin', method: 'POST', url: () => '/api/sdk-keys', body: (v) => ({ name: v }), max: 100, text: true },
  { field: 'sign-off comment', path: 'comment', as: 'pm', method: 'POST', url: (f) => `/api/flags/${f}/signoffs`, body: (v) => ({ comment: v, snapshotId: NO_CHECKS }), max: 1000, text: true, needsPlan: true },
  { field: 'stage name', path: 'stages.0.name', as: 'pm', method: 'PUT', url: (f) => `/api/flags/${f}/plan`, body: (v) => ({ stages: stages(v) }), max: 100, text: true },
  { field: 'cohort attribute', path: 'cohort.0.attr', as: 'pm', method: 'PUT', url: (f) => `/api/flags/${f}/plan`, body: (v) => ({ cohort: [{ attr: v, op: 'eq', values: ['x'] }] }), max: 100, text: true },
  { field: 'cohort value', path: 'cohort.0.values.0', as: 'pm', method: 'PUT', url: (f) => `/api/flags/${f}/plan`, body: (v) => ({ cohort: [{ attr: 'a', op: 'eq', values: [v] }] }), max: 500 },
  { field: 'rollback reason', path: 'reason', as: 'oncall', method: 'POST', url: (f) => `/api/flags/${f}/rollback`, body: (v) => ({ reason: v }), max: 1000, text: true, needsPlan: true },
  { field: 'metric name', path: 'metric', as: 'metrics', method: 'POST', url: () => '/api/metrics', body: (v, f) => ({ flag: f, metric: v, value: 1 }), max: 64 },
];

/** Characters a single-line text field must refuse: C0 and C1 controls, separators, bidi overrides and isolates. */
const HOSTILE_TEXT: Array<[string, string]> = [
  ['a newline', 'fine\nforged line'],
  ['a NUL', 'a\u0000b'],
  ['an escape sequence', 'a\u001b[31mred'],
  ['a C1 control', 'a\u0085b'],
  ['a line separator', 'a\u2028b'],
  ['a right-to-left override', 'approved \u202Edesab\u202C'],
  ['a bidi isolate', 'a\u2066b\u2069'],
];

async function fresh(b: Bound): Promise<string> {
  const f = `bound-${++n}`;
  await createFlag(ts, f, { tags: ['t'] });
  if (b.needsPlan) {
    await ts.api('PUT', `/api/flags/${f}/plan`, { token: await ts.token('pm', 'pm-author'), body: {} });
  }
  return f;
}

async function attempt(b: Bound, v: string) {
  const f = await fresh(b);
  const before = await dbState(ts);
  const res = await ts.api(b.method, b.url(f), { as: b.as, body: b.body(v, f) });
  return { res, unchanged: (await dbState(ts)) === before };
}

const at = (max: number) => 'a' + 'b'.repeat(max - 1);

describe('every user-supplied name, key, tag and text is validated and length-bounded', () => {
  it.each(BOUNDS.map((b) => [b.field, b.max, b] as const))('a %s of %i characters is accepted, one more is a 400 naming the field', async (_f, max, b) => {
    const ok = await attempt(b, at(max));
    expect(ok.res.status, ok.res.text).toBeLessThan(400);
    const over = await attempt(b, at(max + 1));
    expect(over.res.status, over.res.text).toBe(400);
    expect(over.res.body.error.details.map((d: any) => d.path)).toContain(b.path);
    expect(over.unchanged).toBe(true);
  });

  const texts = BOUNDS.filter((b) => b.text).flatMap((b) => [...HOSTILE_TEXT, ['only spaces', '   '] as [string, string]].map(([what, v]) => [b.field, what, v, b] as const));
  it.each(texts)('a %s with %s is refused and changes nothing', async (_f, _what, v, b) => {
    const { res, unchanged } = await attempt(b, v);
    expect(res.status, res.text).toBe(400);
    expect(unchanged).toBe(true);
  });

  it.each(['a b', '../etc', '.hidden', '-dash', 'x/y', 'ünïcode', 'ｆｕｌｌ', 'zero\u200bwidth', 'semi;colon', '<script>', ''])('the flag key %j is refused', async (key) => {
    const res = await ts.api('POST', '/api/flags', { as: 'engineer', body: { key, owner: 'o' } });
    expect(res.status).toBe(400);
  });

  it.each(['UPPER', 'with space', 'émoji', '<b>', ''])('the tag %j is refused', async (tag) => {
    const res = await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: `tag-${++n}`, owner: 'o', tags: [tag] } });
    expect(res.status).toBe(400);
  });

  it('twenty tags are accepted, twenty-one or a duplicate are not', async () => {
    const tags = Array.from({ length: 21 }, (_, i) => `t${i}`);
    expect((await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: 'tags-20', owner: 'o', tags: tags.slice(0, 20) } })).status).toBe(201);
    expect((await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: 'tags-21', owner: 'o', tags } })).status).toBe(400);
    expect((await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: 'tags-dup', owner: 'o', tags: ['a', 'a'] } })).status).toBe(400);
  });

  it.each(['%00', '..%2F..%2Fetc', 'x'.repeat(5000), '%F0%9F%92%A5', '%E2%80%AE', 'a%20b', '__proto__', 'constructor'])('a flag key %s in a URL gets a 4xx on reads and writes, never a 5xx', async (raw) => {
    const tok = await ts.token('admin');
    for (const [method, p, body] of [
      ['GET', `/api/flags/${raw}`, undefined],
      ['GET', `/api/flags/${raw}/gates`, undefined],
      ['POST', `/api/flags/${raw}/kill`, { reason: 'r' }],
      ['PUT', `/api/flags/${raw}/plan`, {}],
    ] as const) {
      const res = await ts.api(method, p, { token: tok, body });
      expect(res.status, `${method} ${p.slice(0, 60)} ${res.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${p.slice(0, 60)}`).toBeLessThan(500);
    }
  });
});
