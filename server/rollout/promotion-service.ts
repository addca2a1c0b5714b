import { AuditAction, type FlagView, type Gate } from '@switchyard-flags/sdk/api';
import type { Actor } from '../actor.js';
import { canonicalJson } from '../audit/audit-hash.js';
import { diffPlanStates, planHash, type PlanChange, type PlanState } from '../environments/promotion-diff.js';
import { promotionRefusal, type PromotionSide } from '../environments/promotion-rules.js';
import { Conflict, NotFound, ValidationError } from '../errors.js';
import { mutateFlag, type FlagMutation, type FlagMutationDeps } from '../flags/flag-mutation.js';
import { getFlagRow, liveFlagRow } from '../flags/flag-store.js';
import type { FlagRow } from '../flags/flag-view.js';
import { compareBoard, type CompareBoard } from './compare-service.js';
import { loadGates, type ConvergencePort } from './gate-loader.js';
import { storedPlan, type Plan } from './plan-schema.js';
import { insertPlanVersion, voidSignoffs } from './plan-store.js';
import { redactPlan, webhookUrlHash } from './webhook-url.js';

/** `GET /api/flags/:key/promotion`: what a promotion from `from` into `to` would change, bound by the two hashes. */
export interface PromotionView {
  flag: string;
  from: string;
  to: string;
  fromPlanVersion: number;
  toPlanVersion: number;
  changes: PlanChange[];
  sourceHash: string;
  targetHash: string;
  /** The gates of `to`'s next stage under the promoted plan: sign-offs start from none. */
  gates: Gate[];
  /** Why a promotion now would be refused (no plan in `from`, nothing to change, a current stage it would move), or null. */
  blocked: string | null;
}

export interface PromotionResult {
  flag: FlagView;
  from: string;
  to: string;
  planVersion: number;
  lineage: Lineage;
}

/** Where a promoted plan version came from: stored in the `plan.promote` audit entry's `after.lineage` (docs/rollouts.md). */
export interface Lineage {
  from: string;
  fromPlanVersion: number;
  sourceHash: string;
}

export interface PromotionDeps extends FlagMutationDeps {
  /** The environment key itself, or a 404 when it does not exist or is archived (EnvironmentService.scope). */
  scope(env: string): Promise<string>;
  /** The push layer's figures, for the gates the promoted plan would face (services.ts). */
  convergence?: ConvergencePort;
}

export function planStateOf(row: FlagRow): PlanState {
  return { planVersion: row.plan_version, plan: storedPlan(row.plan), maxStaleSeconds: row.max_stale_seconds ?? null };
}

function sideOf(row: FlagRow): PromotionSide {
  return { ...planStateOf(row), stage: row.stage };
}

/** Promotion: one environment's current plan becomes the next plan version of another, bound to what the diff showed. */
export class PromotionService {
  constructor(private readonly deps: PromotionDeps) {}

  private async pair(key: string, from: string, to: string, code: 'invalid_query' | 'invalid_body'): Promise<{ source: FlagRow; target: FlagRow }> {
    if (from === to) throw new ValidationError(`from and to are both "${from}": a promotion goes from one environment to another`, [{ path: 'to', message: 'must differ from from' }], code);
    await this.deps.scope(from);
    await this.deps.scope(to);
    return { source: await liveFlagRow(this.deps.db, from, key), target: await liveFlagRow(this.deps.db, to, key) };
  }

  /** Every live flag in each environment side by side, and what differs (compare-service.ts). */
  compare(): Promise<CompareBoard> {
    return compareBoard(this.deps.db);
  }

  async diff(actor: Actor, key: string, from: string, to: string): Promise<PromotionView> {
    const { source, target } = await this.pair(key, from, to, 'invalid_query');
    const block = promotionRefusal(key, from, to, sideOf(source), sideOf(target));
    const promoted: FlagRow = { ...target, plan: source.plan, plan_version: target.plan_version + 1, plan_author: actor.sub, max_stale_seconds: source.max_stale_seconds };
    const gates = block || !source.plan ? [] : (await loadGates(this.deps.db, promoted, this.deps.clock(), this.deps.convergence)).gates;
    return {
      flag: key,
      from,
      to,
      fromPlanVersion: source.plan_version,
      toPlanVersion: target.plan_version,
      changes: diffPlanStates(planStateOf(target), planStateOf(source), webhookUrlHash),
      sourceHash: planHash(planStateOf(source)),
      targetHash: planHash(planStateOf(target)),
      gates,
      blocked: block?.message ?? null,
    };
  }

  async promote(actor: Actor, key: string, input: { from: string; to: string; sourceHash: string; targetHash: string; reason: string }): Promise<PromotionResult> {
    const { from, to } = input;
    await this.pair(key, from, to, 'invalid_body');
    let lineage: Lineage | null = null;
    let planVersion = 0;
    const m: FlagMutation = {
      env: to,
      key,
      action: AuditAction.PlanPromote,
      reason: input.reason,
      change: async (target, ctx, now) => {
        const source = await getFlagRow(ctx.trx, from, key);
        if (!source || source.archived === 1) throw new NotFound(`flag "${key}" does not exist`);
        const sourceHash = planHash(planStateOf(source));
        const targetHash = planHash(planStateOf(target));
        if (sourceHash !== input.sourceHash || targetHash !== input.targetHash) {
          const moved = [sourceHash !== input.sourceHash ? `${from} is at plan version ${source.plan_version}` : null, targetHash !== input.targetHash ? `${to} is at plan version ${target.plan_version}` : null].filter(Boolean).join(' and ');
          throw new Conflict('promotion_stale', `flag "${key}" changed since the diff: ${moved}. Read GET /api/flags/${key}/promotion?from=${from}&to=${to} again and promote what it shows`, {
            // Plan versions, not the new hashes: a retry must come from a fresh diff someone read.
            fromPlanVersion: source.plan_version,
            toPlanVersion: target.plan_version,
          });
        }
        const block = promotionRefusal(key, from, to, sideOf(source), sideOf(target));
        if (block) throw new Conflict(block.code, block.message);
        const plan = storedPlan(source.plan) as Plan;
        const json = canonicalJson(plan);
        planVersion = target.plan_version + 1;
        const at = now.toISOString();
        await insertPlanVersion(ctx.trx, { environment: to, flag: key, version: planVersion, plan: json, author: actor.sub, created_at: at });
        const voided = await voidSignoffs(ctx.trx, to, key, { olderThanPlanVersion: planVersion }, at, `plan promoted from ${from} (version ${planVersion})`);
        lineage = { from, fromPlanVersion: source.plan_version, sourceHash };
        m.auditAfterExtra = { plan: redactPlan(plan), previousPlan: redactPlan(storedPlan(target.plan)), voidedSignoffs: voided, lineage };
        return { plan: json, plan_version: planVersion, plan_author: actor.sub, max_stale_seconds: source.max_stale_seconds };
      },
    };
    const r = await mutateFlag(this.deps, actor, m);
    return { flag: r.flag, from, to, planVersion, lineage: lineage! };
  }
}
