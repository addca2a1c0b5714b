import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { as, stagingBeforeProduction } from './rollout-fixtures.js';

let ts: TestServer;

const plan = (second: number, more: Record<string, unknown> = {}) => ({
  cohort: [{ attr: 'plan', op: 'in', values: ['pro', 'team'] }],
  stages: [{ percent: 5, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.01 }] }, { percent: second }, { percent: 100 }],
  ...more,
});
const envPath = (env: string, key: string, rest: string) => `/api/envs/${env}/flags/${key}/${rest}`;
const putPlanIn = (env: string, key: string, body: unknown, pm = 'pm-author') => as(ts, 'pm', pm, 'PUT', envPath(env, key, 'plan'), body);
const diff = (key: string, from = 'staging', to = 'production') => ts.api('GET', `/api/flags/${key}/promotion?from=${from}&to=${to}`, { as: 'viewer' });
const promote = (key: string, body: Record<string, unknown>, pm = 'pm-carol') => as(ts, 'pm', pm, 'POST', `/api/flags/${key}/promotion`, { from: 'staging', to: 'production', reason: 'held in staging', ...body });
const audit = async (key: string, action: string, env: string) => (await ts.api('GET', `/api/audit?flag=${key}&action=${action}&environment=${env}`, { as: 'admin' })).body.entries as any[];

beforeAll(async () => {
  ts = await startTestServer();
  await stagingBeforeProduction(ts);
});
afterAll(() => ts.close());

describe('promotion: a plan carried from staging to production, bound to what was tested', () => {
  it('shows every changed field and the gates production would face, then promotes with fresh sign-offs and lineage', async () => {
    await createFlag(ts, 'reply-model');
    expect((await putPlanIn('staging', 'reply-model', plan(25))).status).toBe(200);
    expect((await putPlanIn('production', 'reply-model', plan(20))).status).toBe(200);
    const snapshot = (await ts.api('GET', envPath('production', 'reply-model', 'gates'), { as: 'viewer' })).body.snapshotId;
    expect((await as(ts, 'pm', 'pm-bob', 'POST', envPath('production', 'reply-model', 'signoffs'), { comment: 'ok', snapshotId: snapshot })).status).toBe(201);

    const d = await diff('reply-model');
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ from: 'staging', to: 'production', fromPlanVersion: 1, toPlanVersion: 1, blocked: null });
    expect(d.body.changes).toEqual([{ path: 'stages[1].percent', from: 20, to: 25 }]);
    expect(d.body.sourceHash).toMatch(/^[0-9a-f]{64}$/);
    const signoffGate = d.body.gates.find((g: any) => g.gate === 'signoff');
    expect(signoffGate).toMatchObject({ ok: false, detail: 'needs 1 more PM sign-off (0 of 1 for plan version 2)' });

    const p = await promote('reply-model', { sourceHash: d.body.sourceHash, targetHash: d.body.targetHash });
    expect(p.status, p.text).toBe(200);
    expect(p.body).toMatchObject({ from: 'staging', to: 'production', planVersion: 2, lineage: { from: 'staging', fromPlanVersion: 1, sourceHash: d.body.sourceHash } });

    const prodPlan = (await ts.api('GET', envPath('production', 'reply-model', 'plan'), { as: 'viewer' })).body;
    const stagingPlan = (await ts.api('GET', envPath('staging', 'reply-model', 'plan'), { as: 'viewer' })).body;
    expect(prodPlan).toMatchObject({ version: 2, author: 'pm-carol' });
    expect(prodPlan.plan).toEqual(stagingPlan.plan);
    expect((await ts.api('GET', envPath('production', 'reply-model', 'signoffs'), { as: 'viewer' })).body.signoffs).toEqual([]);
    const gates = (await ts.api('GET', envPath('production', 'reply-model', 'gates'), { as: 'viewer' })).body;
    expect(gates.gates.find((g: any) => g.gate === 'signoff')).toMatchObject({ ok: false, observed: 0 });

    const [entry, ...more] = await audit('reply-model', 'plan.promote', 'production');
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ actor: 'pm-carol', environment: 'production', reason: 'held in staging', after: { planVersion: 2, lineage: { from: 'staging', fromPlanVersion: 1, sourceHash: d.body.sourceHash }, voidedSignoffs: 1 } });
    expect(await audit('reply-model', 'plan.promote', 'staging')).toEqual([]);
    expect((await diff('reply-model')).body.changes).toEqual([]);
  });

  it('refuses with 409 promotion_stale when staging or production moved since the diff, and changes nothing', async () => {
    await createFlag(ts, 'summary-prompt');
    await putPlanIn('staging', 'summary-prompt', plan(25));
    const d = await diff('summary-prompt');
    expect(d.body.changes).toEqual([{ path: 'plan', from: null, to: expect.objectContaining({ stages: expect.any(Array) }) }]);
    await putPlanIn('staging', 'summary-prompt', plan(30));
    let r = await promote('summary-prompt', { sourceHash: d.body.sourceHash, targetHash: d.body.targetHash });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('promotion_stale');
    expect(r.body.error.message).toContain('staging is at plan version 2');
    expect(r.body.error.details).toEqual({ fromPlanVersion: 2, toPlanVersion: 0 });

    const d2 = await diff('summary-prompt');
    await putPlanIn('production', 'summary-prompt', plan(50));
    r = await promote('summary-prompt', { sourceHash: d2.body.sourceHash, targetHash: d2.body.targetHash });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toContain('production is at plan version 1');
    expect((await ts.api('GET', envPath('production', 'summary-prompt', 'plan'), { as: 'viewer' })).body.version).toBe(1);
    expect(await audit('summary-prompt', 'plan.promote', 'production')).toEqual([]);
  });

  it('answers a clear 4xx for bad input and for roles that may not promote, and changes nothing', async () => {
    await createFlag(ts, 'ranker');
    await putPlanIn('staging', 'ranker', plan(25));
    const d = (await diff('ranker')).body;
    const hashes = { sourceHash: d.sourceHash, targetHash: d.targetHash };
    expect((await diff('ranker', 'staging', 'staging')).status).toBe(400);
    expect((await diff('ranker', 'staging', 'nowhere')).body.error.message).toBe('environment "nowhere" does not exist');
    expect((await ts.api('GET', '/api/flags/ranker/promotion', { as: 'viewer' })).status).toBe(400);
    expect((await promote('ranker', { sourceHash: 'abc', targetHash: d.targetHash })).body.error.details).toEqual([
      { path: 'sourceHash', message: 'sourceHash is the 64 hex characters GET /api/flags/:key/promotion answered' },
    ]);
    expect((await promote('ranker', { ...hashes, reason: undefined })).status).toBe(400);
    expect((await promote('ranker', { ...hashes, to: 'staging' })).body.error).toMatchObject({ code: 'invalid_body', message: 'from and to are both "staging": a promotion goes from one environment to another' });
    expect((await promote('nope', hashes)).status).toBe(404);
    for (const role of ['viewer', 'engineer', 'oncall'] as const) {
      expect((await ts.api('POST', '/api/flags/ranker/promotion', { as: role, body: { from: 'staging', to: 'production', reason: 'x', ...hashes } })).status).toBe(403);
    }
    expect((await ts.api('GET', envPath('production', 'ranker', 'plan'), { as: 'viewer' })).body.version).toBe(0);
  });

  it('refuses a promotion that would change what production serves now (409 plan_conflict), and says so in the diff', async () => {
    await createFlag(ts, 'router');
    await putPlanIn('production', 'router', { stages: [{ percent: 5 }, { percent: 25 }, { percent: 100 }] });
    const snapshotId = (await ts.api('GET', envPath('production', 'router', 'gates'), { as: 'viewer' })).body.snapshotId;
    expect((await as(ts, 'pm', 'pm-bob', 'POST', envPath('production', 'router', 'signoffs'), { comment: 'ok', snapshotId })).status).toBe(201);
    expect((await as(ts, 'pm', 'pm-bob', 'POST', envPath('production', 'router', 'advance'), { reason: 'go' })).body).toMatchObject({ stage: 1, percent: 5 });
    await putPlanIn('staging', 'router', { stages: [{ percent: 10 }, { percent: 100 }] });
    const d = (await diff('router')).body;
    const message = "flag \"router\" is at stage 1 in production, serving 5%; staging's plan serves 10% at that stage. A promotion never changes what production serves now: roll production back first";
    expect(d).toMatchObject({ blocked: message, gates: [] });
    const r = await promote('router', { sourceHash: d.sourceHash, targetHash: d.targetHash });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'plan_conflict', message });
    expect((await ts.api('GET', envPath('production', 'router', 'plan'), { as: 'viewer' })).body.version).toBe(1);
  });

  it('refuses to promote a plan production already has (nothing_to_promote)', async () => {
    const d = (await diff('reply-model')).body;
    expect(d.changes).toEqual([]);
    const r = await promote('reply-model', { sourceHash: d.sourceHash, targetHash: d.targetHash });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('nothing_to_promote');
  });
});

describe('the compare board', () => {
  it('shows every environment side by side and names a kill in production only, a production plan behind staging and a hotfix', async () => {
    for (const key of ['cmp-killed', 'cmp-behind', 'cmp-hotfix']) {
      await createFlag(ts, key);
      await putPlanIn('staging', key, plan(25));
      const d = (await diff(key)).body;
      expect((await promote(key, { sourceHash: d.sourceHash, targetHash: d.targetHash })).status).toBe(200);
    }
    expect((await ts.api('POST', envPath('production', 'cmp-killed', 'kill'), { as: 'oncall', body: { reason: 'bad replies' } })).status).toBe(200);
    await putPlanIn('staging', 'cmp-behind', plan(30));
    await putPlanIn('staging', 'cmp-behind', plan(40));
    await putPlanIn('production', 'cmp-hotfix', plan(20));

    const board = await ts.api('GET', '/api/environments/compare', { as: 'viewer' });
    expect(board.status).toBe(200);
    expect(board.body.environments).toEqual(['staging', 'production']);
    const row = (key: string) => board.body.flags.find((f: any) => f.key === key);
    expect(row('cmp-killed').envs).toEqual({
      staging: { stage: 0, percent: 0, killed: false, paused: false, planVersion: 1 },
      production: { stage: 0, percent: 0, killed: true, paused: false, planVersion: 1 },
    });
    expect(row('cmp-killed').differences).toEqual([{ kind: 'killed', text: 'killed in production only', envs: ['production'] }]);
    expect(row('cmp-behind').differences).toEqual([{ kind: 'behind', text: 'production is 2 plan versions behind staging', envs: ['production', 'staging'] }]);
    expect(row('cmp-hotfix').differences).toEqual([
      { kind: 'hotfix', text: "changed in production only (hotfix): plan version 2 was edited in production after staging's plan version 1 was promoted", envs: ['production'] },
    ]);
  });
});
