import { AuditAction, type PlanView, type SignoffsView, type FlagView, type Gate, type Signoff } from '@switchyard-flags/sdk/api';
import { canonicalJson } from '../audit/audit-hash.js';
import type { Actor } from '../actor.js';
import { Conflict, NotFound } from '../errors.js';
import { mutateFlag, type FlagMutation, type FlagMutationDeps } from '../flags/flag-mutation.js';
import { liveFlagRow } from '../flags/flag-store.js';
import { envOr, type EnvDeps } from '../environments/default-environment.js';
import { stagePercent } from '../flags/flag-view.js';
import { planOf, storedPlan, type Plan, type PutPlanInput } from './plan-schema.js';
import type { AllowEntry } from './webhook-destination.js';
import { redactPlan, webhookUrlToStore } from './webhook-url.js';
import { getPlanVersion, insertPlanVersion, lapsedSignoffs, liveSignoffs, toSignoff, voidSignoffs } from './plan-store.js';
import { signOff, type SignoffInput } from './signoff-service.js';

export type { SignoffInput } from './signoff-service.js';

export interface PlanDeps extends FlagMutationDeps {
  /** Internal webhook destinations allowed (`WEBHOOK_ALLOW`). */
  webhookAllow: readonly AllowEntry[];
}

/** Plans (versioned; an edit voids earlier sign-offs) and PM sign-offs. */
export class PlanService {
  constructor(private readonly deps: PlanDeps & EnvDeps) {}

  async get(key: string, version?: number, scope?: string): Promise<PlanView> {
    const env = envOr(this.deps, scope);
    const row = await liveFlagRow(this.deps.db, env, key);
    const v = version ?? row.plan_version;
    const stored = v > 0 ? await getPlanVersion(this.deps.db, env, key, v) : undefined;
    if (version !== undefined && !stored) throw new NotFound(`flag "${key}" has no plan version ${version} (latest is ${row.plan_version})`);
    return {
      flag: key,
      version: stored ? v : 0,
      author: stored?.author ?? null,
      createdAt: stored?.created_at ?? null,
      plan: stored ? redactPlan(storedPlan(stored.plan)) : null,
      stage: row.stage,
      percent: stagePercent(storedPlan(row.plan), row.stage),
    };
  }

  /**
   * Stores a new plan version and makes it current. Earlier sign-offs no longer count. An edit
   * may not change what the flag serves right now: the current stage must still exist, at the
   * same percentage (roll back first to shrink it).
   */
  async put(actor: Actor, key: string, input: PutPlanInput, scope?: string): Promise<{ flag: FlagView; plan: PlanView; changed: boolean }> {
    const env = envOr(this.deps, scope);
    let plan: Plan = planOf(input);
    let json = canonicalJson(plan);
    const m: FlagMutation = {
      env,
      key,
      action: AuditAction.PlanUpdate,
      reason: input.reason ?? null,
      expectedVersion: input.version,
      change: async (row, ctx, now) => {
        const old = storedPlan(row.plan);
        const webhookUrl = webhookUrlToStore(input.webhookUrl, old?.webhookUrl, this.deps.webhookAllow);
        if (webhookUrl !== input.webhookUrl) {
          plan = { ...plan, webhookUrl };
          json = canonicalJson(plan);
        }
        if (row.plan !== null && canonicalJson(JSON.parse(row.plan)) === json) return null;
        if (row.stage > 0) {
          const current = stagePercent(old, row.stage);
          const next = plan.stages[row.stage - 1];
          if (!next) {
            throw new Conflict(
              'plan_conflict',
              `flag "${key}" is at stage ${row.stage} (${current}%); the new plan has only ${plan.stages.length} stage(s). Roll back to stage ${plan.stages.length} or lower first`,
              { stage: row.stage, percent: current, stages: plan.stages.length },
            );
          }
          if (next.percent !== current) {
            throw new Conflict(
              'plan_conflict',
              `flag "${key}" is at stage ${row.stage}, serving ${current}%; the new plan would serve ${next.percent}% at that stage. Keep stage ${row.stage} at ${current}% (or roll back first): a plan edit never changes the current percentage`,
              { stage: row.stage, percent: current, newPercent: next.percent },
            );
          }
        }
        const version = row.plan_version + 1;
        const at = now.toISOString();
        await insertPlanVersion(ctx.trx, { environment: env, flag: key, version, plan: json, author: actor.sub, created_at: at });
        const voided = await voidSignoffs(ctx.trx, env, key, { olderThanPlanVersion: version }, at, `plan edited (version ${version})`);
        m.auditAfterExtra = { plan: redactPlan(plan), previousPlan: redactPlan(old), voidedSignoffs: voided };
        return { plan: json, plan_version: version, plan_author: actor.sub };
      },
    };
    const result = await mutateFlag(this.deps, actor, m);
    const view = await this.get(key, undefined, env);
    // Shown once: the answer of the PUT that set a new URL carries it in full.
    const setNow = input.webhookUrl !== undefined && plan.webhookUrl === input.webhookUrl && view.plan;
    return { flag: result.flag, plan: setNow ? { ...view, plan: { ...view.plan!, webhookUrl: input.webhookUrl } } : view, changed: result.changed };
  }

  /** Signs the next stage of the current plan version, on the evidence as it stands (signoff-service.ts). */
  signoff(actor: Actor, key: string, input: SignoffInput, env?: string): Promise<{ signoff: Signoff; gate: Gate; note?: string }> {
    return signOff(this.deps, actor, envOr(this.deps, env), key, input);
  }

  /** Live sign-offs of the current plan version, every stage. */
  async signoffs(key: string, scope?: string): Promise<SignoffsView> {
    const env = envOr(this.deps, scope);
    const row = await liveFlagRow(this.deps.db, env, key);
    const plan = storedPlan(row.plan);
    const rows = row.plan_version > 0 ? await liveSignoffs(this.deps.db, env, key, row.plan_version) : [];
    return {
      flag: key,
      planVersion: row.plan_version,
      stage: row.stage,
      nextStage: plan && row.stage < plan.stages.length ? row.stage + 1 : null,
      signoffs: rows.map(toSignoff),
      lapsed: row.plan_version > 0 ? (await lapsedSignoffs(this.deps.db, env, key, row.plan_version)).map(toSignoff) : [],
    };
  }
}
