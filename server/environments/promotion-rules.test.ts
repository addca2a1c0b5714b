import { describe, expect, it } from 'vitest';
import { promotionRefusal, type PromotionSide } from './promotion-rules.js';

const stages = (...percents: number[]) => ({ cohort: [], stages: percents.map((percent) => ({ percent })) });
const side = (plan: object | null, stage = 0, planVersion = 1, maxStaleSeconds: number | null = null): PromotionSide => ({ plan, stage, planVersion, maxStaleSeconds });

describe('when a promotion is refused', () => {
  it('allows a new plan into an environment that serves nothing yet, or one that keeps its current percentage', () => {
    expect(promotionRefusal('f', 'staging', 'production', side(stages(5, 25, 100)), side(null, 0, 0))).toBeNull();
    expect(promotionRefusal('f', 'staging', 'production', side(stages(5, 30, 100)), side(stages(5, 25, 100), 1))).toBeNull();
  });

  it('refuses a source without a plan (no_plan) and one already equal, lease included (nothing_to_promote)', () => {
    expect(promotionRefusal('f', 'staging', 'production', side(null, 0, 0), side(stages(5, 100)))?.code).toBe('no_plan');
    const same = promotionRefusal('f', 'staging', 'production', side(stages(5, 100), 0, 4), side(stages(5, 100), 0, 2));
    expect(same).toEqual({ code: 'nothing_to_promote', message: 'flag "f" in production already has staging\'s plan and lease (staging\'s plan version 4)' });
    expect(promotionRefusal('f', 'staging', 'production', side(stages(5, 100), 0, 1, 60), side(stages(5, 100)))).toBeNull();
  });

  it('refuses a plan that would change what the target serves at its current stage (plan_conflict), and says how to go on', () => {
    const r = promotionRefusal('f', 'staging', 'production', side(stages(10, 100)), side(stages(5, 25, 100), 1));
    expect(r).toEqual({
      code: 'plan_conflict',
      message: 'flag "f" is at stage 1 in production, serving 5%; staging\'s plan serves 10% at that stage. A promotion never changes what production serves now: roll production back first',
    });
    expect(promotionRefusal('f', 'staging', 'production', side(stages(50, 100)), side(stages(5, 25, 100), 3))?.message).toContain("staging's plan has only 2 stage(s)");
  });
});
