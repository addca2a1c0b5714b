import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TIMEOUT, figure, size } from './helpers/reliability-figures.js';
import { dbState } from './helpers/reliability-state.js';
import { bulkEvaluationFailure, bulkEvaluationSuccess, evaluationFailure, flagNotFound, serverEvaluationSuccess } from './helpers/ofrep-schemas.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { putPlan, signAndAdvance } from './rollout-fixtures.js';

const SEED = 20261201;
const RUNS = size(150, 2000);

let ts: TestServer;
let key: string;
let cases = 0;

beforeAll(async () => {
  ts = await startTestServer();
  key = (await ts.api('POST', '/api/sdk-keys', { as: 'admin', body: { name: 'fuzz-ofrep', kind: 'client' } })).body.key;
  await createFlag(ts, 'fz-split', { on: { model: 'b' }, off: { model: 'a' } });
  expect((await putPlan(ts, 'fz-split', { cohort: [{ attr: 'plan', op: 'in', values: ['pro'] }, { attr: 'version', op: 'semver_gte', values: ['2.0.0'] }], stages: [{ percent: 30 }, { percent: 100 }], reason: 'fuzz' })).status).toBe(200);
  await signAndAdvance(ts, 'fz-split');
  await createFlag(ts, 'fz-plain', { on: true, off: false });
});
afterAll(async () => {
  figure('fuzz: OFREP cases tried', cases);
  await ts.close();
});

/** Contexts as a hostile or sloppy client might send them: any JSON, and near-misses of a real one. */
const context = fc.oneof(
  fc.jsonValue(),
  fc.record({ targetingKey: fc.oneof(fc.string(), fc.integer(), fc.double(), fc.constant(null), fc.jsonValue()), plan: fc.jsonValue(), version: fc.oneof(fc.string(), fc.jsonValue()) }, { requiredKeys: [] }),
  fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'key', 'targetingKey')), fc.jsonValue()),
);
const body = fc.oneof(
  context.map((c) => JSON.stringify({ context: c })),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
  fc.nat(80).map((d) => '{"context":'.repeat(d) + '{}' + '}'.repeat(d)),
  fc.string({ minLength: 70_000, maxLength: 70_001 }).map((s) => JSON.stringify({ context: { targetingKey: s } })),
);
const path = fc.constantFrom('/ofrep/v1/evaluate/flags', '/ofrep/v1/evaluate/flags/fz-split', '/ofrep/v1/evaluate/flags/fz-plain', '/ofrep/v1/evaluate/flags/nope');

describe('the OFREP routes under property-based fuzzing', () => {
  it('never answer a 5xx, always answer in the protocol\'s shapes, and change nothing', async () => {
    await fc.assert(
      fc.asyncProperty(path, body, async (p, raw) => {
        cases++;
        const before = await dbState(ts);
        const res = await ts.api('POST', p, { body: raw, headers: { 'x-api-key': key, 'content-type': 'application/json' } });
        const label = `${p} ${raw.slice(0, 200)} -> ${res.status} ${res.text.slice(0, 300)}`;
        expect(res.status, label).toBeLessThan(500);
        const bulk = p === '/ofrep/v1/evaluate/flags';
        const schema =
          res.status === 200 ? (bulk ? bulkEvaluationSuccess : serverEvaluationSuccess)
          : res.status === 404 ? flagNotFound
          : bulk ? bulkEvaluationFailure : evaluationFailure;
        expect([200, 400, 404], label).toContain(res.status);
        expect(schema.safeParse(res.body).error?.issues, label).toBeUndefined();
        if (res.status === 404) expect(p, label).toContain('/nope');
        expect(await dbState(ts), label).toBe(before);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  }, TIMEOUT);
});
