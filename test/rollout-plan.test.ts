import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { advance, as, auditOf, putPlan, signAndAdvance, signoff } from './rollout-fixtures.js';

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => {
  await ts.close();
});

describe('rollout plans', () => {
  it('fills in the default 5/25/100 stages with one sign-off each and reports the plan version on the flag', async () => {
    await createFlag(ts, 'defaults');
    const r = await putPlan(ts, 'defaults', { cohort: [{ attr: 'plan', op: 'in', values: ['pro', 'team'] }] });
    expect(r.status).toBe(200);
    expect(r.body.plan).toMatchObject({ version: 1, author: 'pm-author', stage: 0, percent: 0 });
    expect(r.body.plan.plan.stages).toEqual([5, 25, 100].map((percent) => ({ percent, signoffs: 1, soakMinutes: 0, autoAdvance: false, checks: [] })));
    const flag = await ts.api('GET', '/api/flags/defaults', { as: 'viewer' });
    expect(flag.body).toMatchObject({ stage: 0, percent: 0, stages: 3, planVersion: 1, planAuthor: 'pm-author', paused: false, killed: false });
    const got = await ts.api('GET', '/api/flags/defaults/plan', { as: 'viewer' });
    expect(got.body).toMatchObject({ flag: 'defaults', version: 1, author: 'pm-author', plan: { cohort: [{ attr: 'plan', op: 'in', values: ['pro', 'team'] }] } });
  });

  it('rejects malformed plans with the offending field and changes nothing', async () => {
    await createFlag(ts, 'malformed');
    const bad: Array<[unknown, string]> = [
      [{ stages: [{ percent: 25 }, { percent: 5 }, { percent: 100 }] }, 'stages.1.percent'],
      [{ stages: [{ percent: 5 }, { percent: 50 }] }, 'stages.1.percent'],
      [{ stages: [] }, 'stages'],
      [{ stages: [{ percent: 0 }, { percent: 100 }] }, 'stages.0.percent'],
      [{ stages: [{ percent: 5.001 }, { percent: 100 }] }, 'stages.0.percent'],
      [{ stages: [{ percent: 100, signoffs: 0 }] }, 'stages.0.signoffs'],
      [{ stages: [{ percent: 100, checks: [{ metric: 'error_rate', threshold: 0.1 }] }] }, 'stages.0.checks.0.op'],
      [{ stages: [{ percent: 100, checks: [{ metric: 'eval_score', maxDropPct: 5, op: '<=', threshold: 1 }] }] }, 'stages.0.checks.0'],
      [{ stages: [{ percent: 100, checks: [{ metric: 'Error-Rate', op: '<=', threshold: 1 }] }] }, 'stages.0.checks.0.metric'],
      [{ stages: [{ percent: 100, checks: [{ metric: 'e', op: '<=', threshold: 1, onBreach: 'kill' }] }] }, 'stages.0.checks.0.onBreach'],
      [{ stages: [{ percent: 100, plannedAt: 'next tuesday' }] }, 'stages.0.plannedAt'],
      [{ cohort: [{ attr: 'plan', op: 'like', values: ['x'] }] }, 'cohort.0.op'],
      [{ cohort: [{ attr: 'age', op: 'gt', values: ['x'] }] }, 'cohort.0.values'],
      [{ stage: 3 }, '(body)'],
      [{ webhookUrl: 'ftp://example.com' }, 'webhookUrl'],
    ];
    for (const [body, path] of bad) {
      const r = await putPlan(ts, 'malformed', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.details.map((d: any) => d.path), JSON.stringify(body)).toContain(path);
    }
    expect((await ts.api('GET', '/api/flags/malformed', { as: 'viewer' })).body).toMatchObject({ version: 1, planVersion: 0 });
    expect((await ts.api('GET', '/api/flags/malformed/plan', { as: 'viewer' })).body).toMatchObject({ version: 0, plan: null });
    expect((await ts.api('GET', '/api/flags/malformed/gates', { as: 'viewer' })).body).toMatchObject({ nextStage: null, ready: false, gates: [], note: 'flag "malformed" has no rollout plan yet' });
    expect((await advance(ts, 'malformed')).body.error.code).toBe('no_plan');
    expect((await signoff(ts, 'malformed', 'pm-bob')).body.error.code).toBe('no_plan');
  });

  it('lets PMs and admins write plans, nobody else', async () => {
    await createFlag(ts, 'who-plans');
    for (const role of ['engineer', 'oncall', 'viewer', 'metrics'] as const) {
      expect((await ts.api('PUT', '/api/flags/who-plans/plan', { as: role, body: {} })).status).toBe(403);
    }
    expect((await ts.api('PUT', '/api/flags/who-plans/plan', { as: 'admin', body: {} })).status).toBe(200);
    expect((await ts.api('PUT', '/api/flags/no-such-flag/plan', { as: 'pm', body: {} })).status).toBe(404);
  });

  it('voids earlier sign-offs when the plan is edited, and keeps every version', async () => {
    await createFlag(ts, 'edited');
    await putPlan(ts, 'edited', {}, 'pm-alice');
    expect((await signoff(ts, 'edited', 'pm-bob')).status).toBe(201);
    expect((await ts.api('GET', '/api/flags/edited/gates', { as: 'viewer' })).body.ready).toBe(true);

    const r = await putPlan(ts, 'edited', { stages: [{ percent: 10 }, { percent: 100 }], reason: 'smaller first step' }, 'pm-carol');
    expect(r.body.plan).toMatchObject({ version: 2, author: 'pm-carol' });
    const gates = await ts.api('GET', '/api/flags/edited/gates', { as: 'viewer' });
    expect(gates.body).toMatchObject({ planVersion: 2, ready: false, nextPercent: 10 });
    expect(gates.body.gates[0]).toMatchObject({ gate: 'signoff', ok: false, signers: [], detail: 'needs 1 more PM sign-off (0 of 1 for plan version 2)' });
    expect((await ts.api('GET', '/api/flags/edited/signoffs', { as: 'viewer' })).body.signoffs).toEqual([]);
    expect((await advance(ts, 'edited')).status).toBe(409);

    expect((await ts.api('GET', '/api/flags/edited/plan?version=1', { as: 'viewer' })).body).toMatchObject({ version: 1, author: 'pm-alice' });
    expect((await ts.api('GET', '/api/flags/edited/plan?version=9', { as: 'viewer' })).status).toBe(404);

    const [entry] = await auditOf(ts, 'edited', 'plan.update');
    expect(entry).toMatchObject({
      actor: 'pm-carol',
      reason: 'smaller first step',
      before: { planVersion: 1, planAuthor: 'pm-alice' },
      after: { planVersion: 2, planAuthor: 'pm-carol', voidedSignoffs: 1, plan: { stages: [{ percent: 10 }, { percent: 100 }] } },
    });
    expect(entry.after.previousPlan.stages).toHaveLength(3);

    // The same plan again is no change: no new version, no voided sign-offs.
    await signoff(ts, 'edited', 'pm-bob');
    const same = await putPlan(ts, 'edited', { stages: [{ percent: 10 }, { percent: 100 }] }, 'pm-carol');
    expect(same.body).toMatchObject({ changed: false, plan: { version: 2 } });
    expect((await ts.api('GET', '/api/flags/edited/gates', { as: 'viewer' })).body.ready).toBe(true);
  });

  it('never lets a plan edit change the percentage being served', async () => {
    await createFlag(ts, 'in-flight');
    await putPlan(ts, 'in-flight', {});
    await signAndAdvance(ts, 'in-flight');
    await signAndAdvance(ts, 'in-flight');
    let r = await putPlan(ts, 'in-flight', { stages: [{ percent: 5 }, { percent: 30 }, { percent: 100 }] });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('plan_conflict');
    expect(r.body.error.message).toContain('serving 25%; the new plan would serve 30% at that stage');
    r = await putPlan(ts, 'in-flight', { stages: [{ percent: 100 }] });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toContain('the new plan has only 1 stage(s)');
    r = await putPlan(ts, 'in-flight', { stages: [{ percent: 1 }, { percent: 25 }, { percent: 50 }, { percent: 100 }] });
    expect(r.status).toBe(200);
    expect(r.body.flag).toMatchObject({ stage: 2, percent: 25, stages: 4, planVersion: 2 });
    expect((await putPlan(ts, 'in-flight', { stages: [{ percent: 5 }, { percent: 100 }], version: 1 })).body.error.code).toBe('version_conflict');
  });

  it('previews what a context gets, with the reason, and what it would get at another stage', async () => {
    await createFlag(ts, 'preview-me', { on: 'v2', off: 'v1' });
    await putPlan(ts, 'preview-me', { cohort: [{ attr: 'plan', op: 'in', values: ['pro', 'team'] }] });
    let r = await ts.api('GET', '/api/flags/preview-me/preview?key=user-1&attr=plan:free', { as: 'viewer' });
    expect(r.body).toMatchObject({ flag: 'preview-me', value: 'v1', reason: 'COHORT_MISS', stage: 0, percent: 0 });
    r = await ts.api('GET', '/api/flags/preview-me/preview?key=user-1&attr=plan:pro', { as: 'viewer' });
    expect(r.body).toMatchObject({ value: 'v1', reason: 'NOT_STARTED', context: { key: 'user-1', plan: 'pro' } });
    r = await ts.api('GET', '/api/flags/preview-me/preview?key=user-1&attr=plan:pro&stage=3', { as: 'viewer' });
    expect(r.body).toMatchObject({ value: 'v2', reason: 'ROLLOUT_IN', stage: 3, percent: 100 });
    const ctx = encodeURIComponent(JSON.stringify({ key: 'user-1', plan: 'team', seats: 12 }));
    r = await ts.api('GET', `/api/flags/preview-me/preview?context=${ctx}&stage=2`, { as: 'viewer' });
    expect(r.body).toMatchObject({ percent: 25 });
    expect(typeof r.body.bucket).toBe('number');
    expect(r.body.reason).toBe(r.body.bucket < 2500 ? 'ROLLOUT_IN' : 'ROLLOUT_OUT');
    expect((await ts.api('GET', '/api/flags/preview-me/preview?attr=plan', { as: 'viewer' })).status).toBe(400);
    expect((await ts.api('GET', '/api/flags/preview-me/preview?context=[1]', { as: 'viewer' })).status).toBe(400);
    expect((await ts.api('GET', '/api/flags/preview-me/preview?stage=4', { as: 'viewer' })).status).toBe(400);
    expect((await as(ts, 'metrics', 'reporter', 'GET', '/api/flags/preview-me/preview?key=u')).status).toBe(403);
  });
});
