import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { putPlanSchema } from '../../server/rollout/plan-schema.js';
import { actor, createFlag, unitServices, type UnitWorld, refusal } from '../helpers/unit-services.js';

let w: UnitWorld;
beforeEach(async () => {
  w = await unitServices();
});
afterEach(async () => {
  await w.close();
});

const pm = actor('pm', 'pm-author');
const bob = actor('pm', 'pm-bob');
const putPlan = (key: string, plan: unknown) => w.plans.put(pm, key, putPlanSchema.parse(plan));
const signAndAdvance = async (key: string) => {
  await w.plans.signoff(bob, key, { comment: 'ok' });
  return w.rollouts.advance(bob, key);
};

describe('plan validation', () => {
  it('a malformed plan is refused with the offending field', () => {
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
      [{ stage: 3 }, ''],
      [{ webhookUrl: 'ftp://example.com' }, 'webhookUrl'],
    ];
    for (const [body, path] of bad) {
      const r = putPlanSchema.safeParse(body);
      expect(r.success, JSON.stringify(body)).toBe(false);
      expect(r.error!.issues.map((i) => i.path.join('.')), JSON.stringify(body)).toContain(path);
    }
  });

  it('an empty plan gets the default 5/25/100 stages with one sign-off each, as plan version 1', async () => {
    await createFlag(w, 'defaults');
    const r = await putPlan('defaults', {});
    expect(r.plan.plan!.stages.map((s) => [s.percent, s.signoffs])).toEqual([
      [5, 1],
      [25, 1],
      [100, 1],
    ]);
    expect(r.flag).toMatchObject({ planVersion: 1, stages: 3, stage: 0 });
  });

  it('a flag without a plan has no gates, and advancing or signing it is no_plan', async () => {
    await createFlag(w, 'planless');
    expect(await w.rollouts.gates('planless')).toMatchObject({ nextStage: null, ready: false, gates: [], note: 'flag "planless" has no rollout plan yet' });
    expect(await refusal(w.rollouts.advance(bob, 'planless'))).toMatchObject({ code: 'no_plan' });
    expect(await refusal(w.plans.signoff(bob, 'planless', { comment: 'ok' }))).toMatchObject({ code: 'no_plan' });
  });

  it('a plan edit never changes the percentage being served', async () => {
    await createFlag(w, 'in-flight');
    await putPlan('in-flight', {});
    await signAndAdvance('in-flight');
    await signAndAdvance('in-flight');
    let err = await refusal(putPlan('in-flight', { stages: [{ percent: 5 }, { percent: 30 }, { percent: 100 }] }));
    expect(err).toMatchObject({ status: 409, code: 'plan_conflict' });
    expect(err!.message).toContain('serving 25%; the new plan would serve 30% at that stage');
    err = await refusal(putPlan('in-flight', { stages: [{ percent: 100 }] }));
    expect(err!.message).toContain('the new plan has only 1 stage(s)');
    const r = await putPlan('in-flight', { stages: [{ percent: 1 }, { percent: 25 }, { percent: 50 }, { percent: 100 }] });
    expect(r.flag).toMatchObject({ stage: 2, percent: 25, stages: 4, planVersion: 2 });
    expect(await refusal(putPlan('in-flight', { stages: [{ percent: 5 }, { percent: 100 }], version: 1 }))).toMatchObject({ code: 'version_conflict' });
  });

  it('editing a plan voids the sign-offs given for the earlier version', async () => {
    await createFlag(w, 'edited');
    await putPlan('edited', {});
    await w.plans.signoff(bob, 'edited', { comment: 'ok' });
    expect((await w.plans.signoffs('edited')).signoffs).toHaveLength(1);
    await putPlan('edited', { stages: [{ percent: 10 }, { percent: 100 }] });
    expect(await w.plans.signoffs('edited')).toMatchObject({ planVersion: 2, signoffs: [] });
  });

  it('a webhook to an internal address is refused when the plan is written', async () => {
    await createFlag(w, 'hooked');
    const err = await refusal(putPlan('hooked', { webhookUrl: 'http://127.0.0.1:9/hook' }));
    expect(err).toMatchObject({ status: 400 });
    expect((await w.plans.get('hooked')).plan).toBeNull();
  });
});

describe('evaluation through the rollout preview', () => {
  it('a context outside the cohort gets the off value, one inside waits for the rollout, and stage 3 serves everyone in it', async () => {
    await createFlag(w, 'preview-me', { on: 'v2', off: 'v1' });
    await putPlan('preview-me', { cohort: [{ attr: 'plan', op: 'in', values: ['pro', 'team'] }] });
    expect(await w.rollouts.preview('preview-me', { key: 'user-1', plan: 'free' })).toMatchObject({ value: 'v1', reason: 'COHORT_MISS', stage: 0, percent: 0 });
    expect(await w.rollouts.preview('preview-me', { key: 'user-1', plan: 'pro' })).toMatchObject({ value: 'v1', reason: 'NOT_STARTED' });
    expect(await w.rollouts.preview('preview-me', { key: 'user-1', plan: 'pro' }, 3)).toMatchObject({ value: 'v2', reason: 'ROLLOUT_IN', stage: 3, percent: 100 });
    const at25 = await w.rollouts.preview('preview-me', { key: 'user-1', plan: 'team' }, 2);
    expect(at25.percent).toBe(25);
    expect(at25.reason).toBe(at25.bucket! < 2500 ? 'ROLLOUT_IN' : 'ROLLOUT_OUT');
    expect(await refusal(w.rollouts.preview('preview-me', { key: 'u' }, 4))).toMatchObject({ status: 400, code: 'invalid_query' });
  });

  it('a killed flag serves its off value to every user, whatever the stage', async () => {
    await createFlag(w, 'killed-preview', { on: 'new', off: 'old' });
    await putPlan('killed-preview', {});
    await w.kills.kill(actor('oncall'), 'killed-preview', 'incident');
    for (const key of ['a', 'b', 'c']) {
      expect(await w.rollouts.preview('killed-preview', { key }, 3)).toMatchObject({ value: 'old', reason: 'KILLED' });
    }
  });
});
