import { describe, expect, it } from 'vitest';
import { planOf, putPlanSchema, type Plan } from '../rollout/plan-schema.js';
import { diffPlanStates, planHash, sameContent, type PlanState } from './promotion-diff.js';

/** A plan as stored (defaults filled in by the plan schema). */
function plan(input: Record<string, unknown>): Plan {
  return planOf(putPlanSchema.parse(input));
}

function state(p: Plan | null, planVersion = 1, maxStaleSeconds: number | null = null): PlanState {
  return { planVersion, plan: p, maxStaleSeconds };
}

const base = {
  cohort: [{ attr: 'plan', op: 'in', values: ['pro', 'team'] }],
  stages: [
    { percent: 5, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.01 }] },
    { percent: 25, soakMinutes: 60 },
    { percent: 100 },
  ],
};

describe('the field-level diff of two environments\' plans', () => {
  it('finds nothing between two equal plans, whatever their plan versions', () => {
    expect(diffPlanStates(state(plan(base), 3), state(plan(base), 7))).toEqual([]);
  });

  it('names a changed split as a difference, with the target\'s value and the source\'s', () => {
    const changed = { ...base, stages: [base.stages[0], { percent: 20, soakMinutes: 60 }, base.stages[2]] };
    expect(diffPlanStates(state(plan(base)), state(plan(changed)))).toEqual([{ path: 'stages[1].percent', from: 25, to: 20 }]);
  });

  it('names a stage added or removed as the whole stage', () => {
    const four = { ...base, stages: [base.stages[0], { percent: 10 }, { percent: 25, soakMinutes: 60 }, base.stages[2]] };
    const changes = diffPlanStates(state(plan(base)), state(plan(four)));
    expect(changes.map((c) => c.path)).toEqual(['stages[1].percent', 'stages[1].soakMinutes', 'stages[2].percent', 'stages[2].soakMinutes', 'stages[3]']);
    expect(changes[4]).toEqual({ path: 'stages[3]', from: null, to: expect.objectContaining({ percent: 100 }) });
  });

  it('names a changed cohort operand, a changed threshold, a new guardrail and a changed sign-off count', () => {
    const edited = {
      cohort: [{ attr: 'plan', op: 'in', values: ['pro'] }],
      stages: [
        { percent: 5, signoffs: 2, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.02 }, { metric: 'cost_usd_per_day', op: '<=', threshold: 40, guardrail: true, onBreach: 'kill' }] },
        { percent: 25, soakMinutes: 60 },
        { percent: 100 },
      ],
    };
    const changes = diffPlanStates(state(plan(base)), state(plan(edited)));
    expect(changes).toEqual([
      { path: 'cohort[0].values', from: ['pro', 'team'], to: ['pro'] },
      { path: 'stages[0].checks[0].threshold', from: 0.01, to: 0.02 },
      { path: 'stages[0].checks[1]', from: null, to: expect.objectContaining({ metric: 'cost_usd_per_day', guardrail: true, onBreach: 'kill' }) },
      { path: 'stages[0].signoffs', from: 1, to: 2 },
    ]);
  });

  it('names the lease (max_stale_seconds) and metric ranges', () => {
    const ranged = { ...base, metrics: { eval_score: { min: 0, max: 1 } } };
    expect(diffPlanStates(state(plan(base), 1, null), state(plan(ranged), 1, 300))).toEqual([
      { path: 'metrics', from: null, to: { eval_score: { min: 0, max: 1 } } },
      { path: 'lease.maxStaleSeconds', from: null, to: 300 },
    ]);
  });

  it('names a requirePrevious soak added to a stage', () => {
    const soaked = { ...base, stages: [base.stages[0], { percent: 25, soakMinutes: 60, requirePrevious: { soakMinutes: 1440 } }, base.stages[2]] };
    expect(diffPlanStates(state(plan(base)), state(plan(soaked)))).toEqual([{ path: 'stages[1].requirePrevious', from: null, to: { soakMinutes: 1440 } }]);
  });

  it('shows a target without a plan as one change carrying the whole plan', () => {
    const changes = diffPlanStates(state(null, 0), state(plan(base)));
    expect(changes).toEqual([{ path: 'plan', from: null, to: expect.objectContaining({ stages: expect.any(Array) }) }]);
  });

  it('compares webhook URLs by a hash and never shows them', () => {
    const a = plan({ ...base, webhookUrl: 'https://hooks.example.com/secret-a' });
    const b = plan({ ...base, webhookUrl: 'https://hooks.example.com/secret-b' });
    const changes = diffPlanStates(state(a), state(b));
    expect(changes).toHaveLength(1);
    expect(changes[0]!.path).toBe('webhookUrl');
    expect(JSON.stringify(changes)).not.toContain('secret');
    expect(diffPlanStates(state(a), state(a))).toEqual([]);
  });
});

describe('the plan hash a promotion is bound to', () => {
  it('is 64 hex characters and the same for the same state, whatever the key order', () => {
    const p = plan(base);
    const reordered = JSON.parse(JSON.stringify({ stages: p.stages, cohort: p.cohort })) as Plan;
    expect(planHash(state(p, 2, 60))).toMatch(/^[0-9a-f]{64}$/);
    expect(planHash(state(p, 2, 60))).toBe(planHash(state(reordered, 2, 60)));
  });

  it('moves with the plan version, a percentage and the lease', () => {
    const h = planHash(state(plan(base), 2));
    expect(planHash(state(plan(base), 3))).not.toBe(h);
    expect(planHash(state(plan(base), 2, 60))).not.toBe(h);
    const changed = { ...base, stages: [base.stages[0], { percent: 26, soakMinutes: 60 }, base.stages[2]] };
    expect(planHash(state(plan(changed), 2))).not.toBe(h);
  });

  it('ignores the view-only webhook URL hash', () => {
    const p = plan(base);
    expect(planHash(state({ ...p, webhookUrlHash: 'abc' }))).toBe(planHash(state(p)));
    expect(sameContent(state({ ...p, webhookUrlHash: 'abc' }), state(p, 9))).toBe(true);
  });
});
