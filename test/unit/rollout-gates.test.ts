import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { putPlanSchema } from '../../server/rollout/plan-schema.js';
import { actor, createFlag, unitServices, type UnitWorld, refusal } from '../helpers/unit-services.js';

// The gate rules of test/rollout-gates.test.ts, checked through the services without a server.
let w: UnitWorld;
beforeEach(async () => {
  w = await unitServices({ start: '2026-06-01T09:00:00.000Z' });
});
afterEach(async () => {
  await w.close();
});

const author = actor('pm', 'pm-author');
const bob = actor('pm', 'pm-bob');
const putPlan = (key: string, plan: unknown, by = author) => w.plans.put(by, key, putPlanSchema.parse(plan));
const report = (samples: Array<{ flag: string; metric: string; value: number; cohort?: 'treatment' | 'control'; count?: number; stddev?: number }>) =>
  w.samples.ingest(actor('metrics', 'metrics-bot'), samples.map((s) => ({ cohort: 'treatment' as const, ...s })), true);
const failing = async (key: string) => (await w.rollouts.gates(key)).gates.filter((g) => !g.ok);

describe('rollout gates, checked through the services', () => {
  it('a stage with a sign-off and two checks is blocked by the missing sign-off and the missing samples', async () => {
    await createFlag(w, 'gated');
    await putPlan('gated', {
      stages: [{ percent: 5, checks: [{ metric: 'eval_score', maxDropPct: 5, baseline: 0.86 }, { metric: 'error_rate', op: '<=', threshold: 0.01 }] }, { percent: 100 }],
    });
    expect((await failing('gated')).map((g) => g.detail)).toEqual([
      'needs 1 more PM sign-off (0 of 1 for plan version 1)',
      'no eval_score sample since the stage started',
      'no error_rate sample since the stage started',
    ]);
    const err = await refusal(w.rollouts.advance(bob, 'gated'));
    expect(err).toMatchObject({ status: 409, code: 'gates_not_met' });
    expect(err.message).toContain('needs 1 more PM sign-off');
  });

  it('a relative check names how far the mean fell below the plan baseline, and passes once the mean recovers', async () => {
    await createFlag(w, 'relative');
    await putPlan('relative', { stages: [{ percent: 5, checks: [{ metric: 'eval_score', maxDropPct: 5, baseline: 0.86 }] }, { percent: 100 }] });
    await w.plans.signoff(bob, 'relative', { comment: 'ok' });
    // An aggregate of 40 graded replies (`value` is the mean of an aggregate).
    await report([{ flag: 'relative', metric: 'eval_score', value: 0.79, count: 40, stddev: 0.02 }]);
    const [gate] = await failing('relative');
    expect(gate).toMatchObject({ gate: 'metric', metric: 'eval_score', outcome: 'breach', observed: 0.79, baseline: 0.86, baselineSource: 'plan' });
    expect(gate!.detail).toBe('eval_score breach: -8.14% vs baseline 0.86, 95% interval [-9.642%, -6.637%] is below −5%');
    // 200 more at 0.86: the mean of 240 is 0.848, 1.4% below 0.86, and the interval clears −5%.
    await report([{ flag: 'relative', metric: 'eval_score', value: 0.86, count: 200, stddev: 0.02 }]);
    expect(await w.rollouts.gates('relative')).toMatchObject({ stage: 0, nextStage: 1, nextPercent: 5, ready: true });
    const r = await w.rollouts.advance(bob, 'relative');
    expect(r).toMatchObject({ stage: 1, percent: 5, flag: { stage: 1, percent: 5, stageStartedAt: w.time.iso() } });
  });

  it('an absolute check, a soak time and a schedule each block until they hold, on the hand-moved clock', async () => {
    await createFlag(w, 'timed');
    await putPlan('timed', { stages: [{ percent: 5 }, { percent: 25, soakMinutes: 1440, plannedAt: '2026-06-03T09:00:00Z', checks: [{ metric: 'p95_latency_ms', op: '<=', threshold: 2500 }] }, { percent: 100 }] });
    await w.plans.signoff(bob, 'timed', { comment: 'ok' });
    await w.rollouts.advance(bob, 'timed');
    await w.plans.signoff(bob, 'timed', { comment: 'ok' });
    w.time.advanceMinutes(60);
    expect((await failing('timed')).map((g) => [g.gate, g.detail])).toEqual([
      ['metric', 'no p95_latency_ms sample since the stage started'],
      ['soak', 'soak: 23h0m left (needs 1d0h at stage 1)'],
      ['schedule', 'planned for 2026-06-03T09:00:00.000Z: 1d23h left'],
    ]);
    await report([{ flag: 'timed', metric: 'p95_latency_ms', value: 3100, count: 40, stddev: 200 }]);
    w.time.advanceMinutes(23 * 60 - 12);
    expect((await failing('timed')).map((g) => [g.gate, g.detail])).toEqual([
      ['metric', 'p95_latency_ms breach: mean 3100, 95% interval [2971, 3229] breaks the limit <= 2500'],
      ['soak', 'soak: 12m left (needs 1d0h at stage 1)'],
      ['schedule', 'planned for 2026-06-03T09:00:00.000Z: 1d0h left'],
    ]);
    await report([{ flag: 'timed', metric: 'p95_latency_ms', value: 1500, count: 400, stddev: 200 }]);
    w.time.set('2026-06-03T09:00:00.000Z');
    const r = await w.rollouts.advance(bob, 'timed');
    expect(r).toMatchObject({ stage: 2, percent: 25 });
    expect(r.gates?.map((g) => g.gate)).toEqual(['signoff', 'metric', 'soak', 'schedule']);
  });

  it('a relative check without a plan baseline compares with the control cohort', async () => {
    await createFlag(w, 'control');
    await putPlan('control', { stages: [{ percent: 5, checks: [{ metric: 'eval_score', maxDropPct: 5 }] }, { percent: 100 }] });
    await report([
      { flag: 'control', metric: 'eval_score', value: 0.8, count: 40, stddev: 0.02, cohort: 'treatment' },
      { flag: 'control', metric: 'eval_score', value: 0.9, count: 40, stddev: 0.02, cohort: 'control' },
    ]);
    expect((await failing('control')).map((g) => g.detail)).toContain('eval_score breach: -11.11% vs control mean 0.9 (40 samples), 95% interval [-13.92%, -8.221%] is below −5%');
  });

  it('the author of a plan version cannot be its only approver', async () => {
    await createFlag(w, 'self-approved');
    await putPlan('self-approved', {}, actor('pm', 'pm-alice'));
    const s = await w.plans.signoff(actor('pm', 'pm-alice'), 'self-approved', { comment: 'mine' });
    expect(s.note).toContain('another PM must sign off stage 1');
    expect(s.gate.ok).toBe(false);
    const err = await refusal(w.rollouts.advance(actor('pm', 'pm-alice'), 'self-approved'));
    expect(err.details.gates.find((g: any) => !g.ok).detail).toBe(
      'needs a sign-off from a PM other than pm-alice, who wrote plan version 1: the author cannot be its only approver',
    );
    await w.plans.signoff(bob, 'self-approved', { comment: 'fine' });
    expect(await w.rollouts.advance(actor('pm', 'pm-alice'), 'self-approved')).toMatchObject({ stage: 1 });
  });

  it('a PM signs a plan version and stage once; a sign-off for an older plan version is refused', async () => {
    await createFlag(w, 'who-signs');
    await putPlan('who-signs', {});
    await w.plans.signoff(bob, 'who-signs', { comment: 'ok' });
    expect(await refusal(w.plans.signoff(bob, 'who-signs', { comment: 'again' }))).toMatchObject({ status: 409, code: 'already_signed' });
    expect(await refusal(w.plans.signoff(actor('pm', 'pm-carol'), 'who-signs', { comment: 'x', planVersion: 7 }))).toMatchObject({ status: 409, code: 'plan_changed' });
  });

  it('a paused or killed flag does not advance, and the gate says which', async () => {
    await createFlag(w, 'on-hold');
    await putPlan('on-hold', {});
    await w.plans.signoff(bob, 'on-hold', { comment: 'ok' });
    await w.rollouts.pause(actor('oncall', 'oncall-olga'), 'on-hold', { reason: 'investigating' });
    expect((await failing('on-hold'))[0]).toMatchObject({ gate: 'state', detail: 'the rollout is paused by oncall-olga (investigating); resume it before advancing' });
    await w.rollouts.resume(actor('oncall', 'oncall-olga'), 'on-hold', { reason: 'fine' });
    await w.kills.kill(actor('oncall', 'oncall-olga'), 'on-hold', 'bad');
    expect((await failing('on-hold'))[0]!.detail).toBe('the flag is killed (bad); restore it before advancing');
  });

  it('a stale version is a version conflict and the stage stays', async () => {
    await createFlag(w, 'stale');
    await putPlan('stale', {});
    await w.plans.signoff(bob, 'stale', { comment: 'ok' });
    expect(await refusal(w.rollouts.advance(bob, 'stale', { version: 1 }))).toMatchObject({ status: 409, code: 'version_conflict' });
    expect((await w.flags.get('stale')).stage).toBe(0);
  });

  it('a failed advance changes nothing and writes no audit entry; a finished rollout is rollout_complete', async () => {
    await createFlag(w, 'nothing');
    await putPlan('nothing', { stages: [{ percent: 100 }] });
    const before = await w.flags.get('nothing');
    expect(await refusal(w.rollouts.advance(bob, 'nothing'))).toMatchObject({ status: 409, code: 'gates_not_met' });
    expect(await w.flags.get('nothing')).toEqual(before);
    expect((await w.audit.list({ flag: 'nothing', action: 'rollout.advance' }, undefined, 50)).entries).toEqual([]);
    await w.plans.signoff(bob, 'nothing', { comment: 'ok' });
    expect(await w.rollouts.advance(bob, 'nothing')).toMatchObject({ stage: 1, percent: 100 });
    expect(await refusal(w.rollouts.advance(bob, 'nothing'))).toMatchObject({ status: 409, code: 'rollout_complete' });
    expect((await w.audit.list({ flag: 'nothing', action: 'rollout.advance' }, undefined, 50)).entries).toHaveLength(1);
  });

  it('rollback, pause and resume pass no gate, and a rollback voids the sign-offs above the stage it returns to', async () => {
    await createFlag(w, 'safety');
    await putPlan('safety', { stages: [{ percent: 10 }, { percent: 50, soakMinutes: 600, checks: [{ metric: 'error_rate', op: '<', threshold: 0.01 }] }, { percent: 100 }] });
    await w.plans.signoff(bob, 'safety', { comment: 'ok' });
    await w.rollouts.advance(bob, 'safety');
    await w.plans.signoff(bob, 'safety', { comment: 'ok' });
    const olga = actor('oncall', 'oncall-olga');
    expect(await w.rollouts.pause(olga, 'safety', { reason: 'error spike' })).toMatchObject({ changed: true, flag: { paused: true, pausedBy: 'oncall-olga' } });
    expect((await w.rollouts.pause(olga, 'safety', { reason: 'again' })).changed).toBe(false);
    expect(await w.rollouts.rollback(olga, 'safety', { reason: 'error spike' })).toMatchObject({ stage: 0, percent: 0, changed: true });
    expect(await w.rollouts.resume(olga, 'safety', { reason: 'fixed' })).toMatchObject({ changed: true, flag: { paused: false, pausedBy: null } });
    expect((await w.rollouts.gates('safety')).gates[0]).toMatchObject({ gate: 'signoff', ok: false, signers: [] });
    const [rollback] = (await w.audit.list({ flag: 'safety', action: 'rollout.rollback' }, undefined, 10)).entries;
    expect(rollback).toMatchObject({ actor: 'oncall-olga', reason: 'error spike', before: { stage: 1 }, after: { stage: 0, voidedSignoffs: 2 } });
  });
});
