import { sameContent, type PlanState } from './promotion-diff.js';

/** A plan's stages as far as a promotion's rules read them. */
type Staged = { stages?: ReadonlyArray<{ percent: number }> };

/** One side of a promotion: its plan state and the stage it serves now. */
export interface PromotionSide extends PlanState {
  stage: number;
}

export interface PromotionRefusal {
  code: 'no_plan' | 'nothing_to_promote' | 'plan_conflict';
  message: string;
}

const stagesOf = (s: PlanState) => (s.plan as Staged | null)?.stages ?? [];

/**
 * Why `source`'s plan cannot become `target`'s next plan version now, or null. A promotion never
 * changes what the target serves: its current stage must exist in the promoted plan at the same
 * percentage (as a plan edit, server/rollout/plan-service.ts). Pure.
 */
export function promotionRefusal(key: string, from: string, to: string, source: PromotionSide, target: PromotionSide): PromotionRefusal | null {
  if (!source.plan) return { code: 'no_plan', message: `flag "${key}" has no rollout plan in ${from}: nothing to promote` };
  if (sameContent(source, target)) {
    return { code: 'nothing_to_promote', message: `flag "${key}" in ${to} already has ${from}'s plan and lease (${from}'s plan version ${source.planVersion})` };
  }
  if (target.stage > 0) {
    const current = stagesOf(target)[target.stage - 1]?.percent ?? 0;
    const stages = stagesOf(source);
    const next = stages[target.stage - 1];
    if (!next || next.percent !== current) {
      const theirs = next ? `serves ${next.percent}% at that stage` : `has only ${stages.length} stage(s)`;
      return {
        code: 'plan_conflict',
        message: `flag "${key}" is at stage ${target.stage} in ${to}, serving ${current}%; ${from}'s plan ${theirs}. A promotion never changes what ${to} serves now: roll ${to} back first`,
      };
    }
  }
  return null;
}
