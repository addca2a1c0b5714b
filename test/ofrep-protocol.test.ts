import { OFREPApi as OFREPApiV0 } from '@openfeature/ofrep-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueSdkKey } from './helpers/push-client.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { OFREP_DOCUMENT, bulkEvaluationFailure, bulkEvaluationSuccess, evaluationFailure, flagNotFound, serverEvaluationSuccess } from './helpers/ofrep-schemas.js';
import { putPlan, signAndAdvance } from './rollout-fixtures.js';

interface Judged {
  httpStatus: number;
  value: any;
}
/** The web provider's own ofrep-core (2.x, nested under it): the newest response checks, a second judge beside 0.1.x. */
const { OFREPApi: OFREPApiV2 } = (await import(
  new URL('../node_modules/@openfeature/ofrep-web-provider/node_modules/@openfeature/ofrep-core/index.esm.js', import.meta.url).href
)) as {
  OFREPApi: new (options: { baseUrl: string; headers: Array<[string, string]> }) => {
    postEvaluateFlag(key: string, request: unknown): Promise<Judged>;
    postBulkEvaluateFlags(request: unknown, etag?: string | null): Promise<Judged>;
  };
};

const valid = (schema: { safeParse(v: unknown): { error?: { issues: unknown } } }, body: unknown) => expect(schema.safeParse(body).error?.issues, JSON.stringify(body)).toBeUndefined();

describe(`the OFREP routes against the protocol's schemas (${OFREP_DOCUMENT})`, () => {
  let ts: TestServer;
  let sdkKey: string;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    ts.api('POST', path, { body, headers: { authorization: `Bearer ${sdkKey}`, ...headers } });

  beforeAll(async () => {
    ts = await startTestServer();
    sdkKey = (await issueSdkKey(ts, 'ofrep-protocol')).key;
    await createFlag(ts, 'support-draft', { on: 'v2', off: 'v1' });
    await createFlag(ts, 'cohorted', { on: true, off: false });
    expect((await putPlan(ts, 'cohorted', { cohort: [{ attr: 'plan', op: 'eq', values: ['pro'] }], stages: [{ percent: 100 }], reason: 'pro only' })).status).toBe(200);
    await createFlag(ts, 'split', { on: 1, off: 0 });
    expect((await putPlan(ts, 'split', { stages: [{ percent: 50 }, { percent: 100 }], reason: 'half' })).status).toBe(200);
    await signAndAdvance(ts, 'split');
  });
  afterAll(() => ts.close());

  it('answers a single flag with serverEvaluationSuccess, which both versions of ofrep-core accept', async () => {
    const res = await post('/ofrep/v1/evaluate/flags/support-draft', { context: { targetingKey: 'u1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    valid(serverEvaluationSuccess, res.body);
    expect(res.body).toMatchObject({ key: 'support-draft', value: 'v1', reason: 'STATIC', variant: 'off' });

    const v0 = await new OFREPApiV0(ts.url).postEvaluateFlags('support-draft', { context: { targetingKey: 'u1' } }, { headers: [['X-API-Key', sdkKey]] });
    expect(v0).toMatchObject({ httpStatus: 200, value: { value: 'v1' } });
    const v2 = await new OFREPApiV2({ baseUrl: ts.url, headers: [['Authorization', `Bearer ${sdkKey}`]] }).postEvaluateFlag('support-draft', { context: { targetingKey: 'u1' } });
    expect(v2).toMatchObject({ httpStatus: 200, value: { value: 'v1' } });
  });

  it('says TARGETING_MATCH for a cohort, SPLIT for a percentage and DISABLED for a killed flag', async () => {
    const cohort = await post('/ofrep/v1/evaluate/flags/cohorted', { context: { targetingKey: 'u', plan: 'free' } });
    expect(cohort.body).toMatchObject({ value: false, reason: 'TARGETING_MATCH', metadata: { switchyardReason: 'COHORT_MISS' } });
    const split = await post('/ofrep/v1/evaluate/flags/split', { context: { targetingKey: 'u' } });
    expect(split.body.reason).toBe('SPLIT');
    expect(typeof split.body.metadata.bucket).toBe('number');
    await createFlag(ts, 'to-kill', { on: 'on', off: 'off' });
    await ts.api('POST', '/api/flags/to-kill/kill', { as: 'oncall', body: { reason: 'protocol test' } });
    const killed = await post('/ofrep/v1/evaluate/flags/to-kill', { context: {} });
    valid(serverEvaluationSuccess, killed.body);
    expect(killed.body).toMatchObject({ value: 'off', reason: 'DISABLED' });
  });

  it('answers a missing flag 404 flagNotFound, a missing key 400 TARGETING_KEY_MISSING, a bad context 400 INVALID_CONTEXT, bad JSON 400 PARSE_ERROR', async () => {
    const missing = await post('/ofrep/v1/evaluate/flags/nope', { context: {} });
    expect(missing.status).toBe(404);
    valid(flagNotFound, missing.body);
    const noKey = await post('/ofrep/v1/evaluate/flags/split', { context: { plan: 'pro' } });
    expect(noKey.status).toBe(400);
    valid(evaluationFailure, noKey.body);
    expect(noKey.body).toMatchObject({ key: 'split', errorCode: 'TARGETING_KEY_MISSING' });
    const badContext = await post('/ofrep/v1/evaluate/flags/split', { context: 'user-1' });
    expect(badContext.status).toBe(400);
    expect(badContext.body).toMatchObject({ key: 'split', errorCode: 'INVALID_CONTEXT' });
    valid(evaluationFailure, badContext.body);
    const badJson = await post('/ofrep/v1/evaluate/flags/split', '{"context": ');
    expect(badJson.status).toBe(400);
    expect(badJson.body).toMatchObject({ key: 'split', errorCode: 'PARSE_ERROR' });
    valid(evaluationFailure, badJson.body);
    const bulkBad = await post('/ofrep/v1/evaluate/flags', { context: [1, 2] });
    expect(bulkBad.status).toBe(400);
    valid(bulkEvaluationFailure, bulkBad.body);
    expect(bulkBad.body.errorCode).toBe('INVALID_CONTEXT');
    // ofrep-core turns each of these into the matching OpenFeature error, not "does not match the expected format".
    const judged = await new OFREPApiV2({ baseUrl: ts.url, headers: [['Authorization', `Bearer ${sdkKey}`]] }).postEvaluateFlag('nope', { context: {} });
    expect(judged).toMatchObject({ httpStatus: 404, value: { errorCode: 'FLAG_NOT_FOUND' } });
  });

  it('answers bulk evaluation with bulkEvaluationSuccess and an ETag, and a 304 for the same context in another key order', async () => {
    const ctx = { targetingKey: 'u-7', plan: 'pro', org: { id: 3, tier: 'gold' } };
    const first = await post('/ofrep/v1/evaluate/flags', { context: ctx });
    expect(first.status).toBe(200);
    valid(bulkEvaluationSuccess, first.body);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"\d+-[A-Za-z0-9_-]+"$/);
    expect(first.headers.get('access-control-allow-origin')).toBeNull(); // no Origin, no CORS
    expect(first.body.flags.map((f: any) => f.key).sort()).toEqual(['cohorted', 'split', 'support-draft', 'to-kill']);
    const reordered = { org: { tier: 'gold', id: 3 }, plan: 'pro', targetingKey: 'u-7' };
    const again = await post('/ofrep/v1/evaluate/flags', { context: reordered }, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    const other = await post('/ofrep/v1/evaluate/flags', { context: { ...ctx, plan: 'free' } }, { 'if-none-match': etag });
    expect(other.status).toBe(200);
    expect(other.headers.get('etag')).not.toBe(etag);

    const v2 = await new OFREPApiV2({ baseUrl: ts.url, headers: [['Authorization', `Bearer ${sdkKey}`]] }).postBulkEvaluateFlags({ context: ctx }, etag);
    expect(v2.httpStatus).toBe(304);
    const v0 = await new OFREPApiV0(ts.url).postBulkEvaluateFlags({ context: ctx }, { headers: [['Authorization', `Bearer ${sdkKey}`]] });
    expect(v0.httpStatus).toBe(200);
  });

  it('gives a bulk answer a new ETag once a flag changes, and the change is in it', async () => {
    const ctx = { targetingKey: 'u-8' };
    const before = await post('/ofrep/v1/evaluate/flags', { context: ctx });
    await ts.api('POST', '/api/flags/support-draft/kill', { as: 'oncall', body: { reason: 'etag test' } });
    let after = await post('/ofrep/v1/evaluate/flags', { context: ctx }, { 'if-none-match': before.headers.get('etag')! });
    // The push state follows the commit through the change bus; wait for it, not for a time.
    for (let i = 0; i < 50 && after.status === 304; i++) {
      await new Promise((r) => setImmediate(r));
      after = await post('/ofrep/v1/evaluate/flags', { context: ctx }, { 'if-none-match': before.headers.get('etag')! });
    }
    expect(after.status).toBe(200);
    expect(after.body.flags.find((f: any) => f.key === 'support-draft')).toMatchObject({ reason: 'DISABLED', value: 'v1' });
  });

  it('puts a flag that cannot be evaluated for the context into the bulk answer as a failure, beside the others', async () => {
    const res = await post('/ofrep/v1/evaluate/flags', { context: { plan: 'pro' } });
    expect(res.status).toBe(200);
    valid(bulkEvaluationSuccess, res.body);
    expect(res.body.flags.find((f: any) => f.key === 'split')).toMatchObject({ errorCode: 'TARGETING_KEY_MISSING' });
    expect(res.body.flags.find((f: any) => f.key === 'cohorted')).toMatchObject({ value: false, reason: 'TARGETING_MATCH' });
  });

  it('refuses without a body: 401 with no or a wrong SDK key, 403 for a user token', async () => {
    const none = await ts.api('POST', '/ofrep/v1/evaluate/flags', { body: {} });
    expect(none.status).toBe(401);
    expect(none.text).toBe('');
    const wrong = await ts.api('POST', '/ofrep/v1/evaluate/flags/split', { body: {}, headers: { 'x-api-key': 'sy_sdk_wrong' } });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toBe('');
    const user = await ts.api('POST', '/ofrep/v1/evaluate/flags', { as: 'admin', body: {} });
    expect(user.status).toBe(403);
    expect(user.text).toBe('');
  });
});

describe('OFREP under the auth-failure limiter', () => {
  it('answers 429 with Retry-After and no body once an address has failed too often', async () => {
    const ts = await startTestServer({ config: { authFailureLimit: 3 } });
    try {
      let res;
      for (let i = 0; i < 10; i++) {
        res = await ts.api('POST', '/ofrep/v1/evaluate/flags', { body: {}, headers: { authorization: `Bearer sy_sdk_guess-${i}` } });
        if (res.status === 429) break;
      }
      expect(res!.status).toBe(429);
      expect(Number(res!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(res!.text).toBe('');
    } finally {
      await ts.close();
    }
  });
});
