import { AuditAction, type Gate, type Signoff } from '@switchyard-flags/sdk/api';
import { canonicalJson } from '../audit/audit-hash.js';
import type { Actor } from '../actor.js';
import { Conflict } from '../errors.js';
import type { FlagMutationDeps } from '../flags/flag-mutation.js';
import { liveFlagRow } from '../flags/flag-store.js';
import { write } from '../unit-of-work.js';
import { signoffGate } from './gates.js';
import { storedPlan } from './plan-schema.js';
import { insertSignoff, lapsedSignoffs, liveSignoffs, snapshotId, toSignoff } from './plan-store.js';
import { judgeNextStage, snapshotOf } from './signoff-evidence.js';

export interface SignoffInput {
  comment: string;
  planVersion?: number;
  stage?: number;
  /** The evidence the PM reviewed; a moved snapshot is a 409 evidence_changed. */
  snapshotId?: string;
}

/** Signs the next stage of the current plan version. Only PMs reach this (routes check the role). */
export async function signOff(deps: FlagMutationDeps, actor: Actor, env: string, key: string, input: SignoffInput): Promise<{ signoff: Signoff; gate: Gate; note?: string }> {
  return write(deps, actor, async (ctx) => {
    const row = await liveFlagRow(ctx.trx, env, key);
    const plan = storedPlan(row.plan);
    if (!plan) throw new Conflict('no_plan', `flag "${key}" has no rollout plan to sign off; PUT /api/flags/${key}/plan first`);
    const stage = row.stage + 1;
    const stageDef = plan.stages[row.stage];
    if (!stageDef) throw new Conflict('rollout_complete', `flag "${key}" is at its last stage (${row.stage}); there is no next stage to sign off`);
    if (input.planVersion !== undefined && input.planVersion !== row.plan_version) {
      throw new Conflict('plan_changed', `you reviewed plan version ${input.planVersion}, but the plan is now at version ${row.plan_version}; review it again`, {
        expected: input.planVersion,
        actual: row.plan_version,
      });
    }
    if (input.stage !== undefined && input.stage !== stage) {
      throw new Conflict('stage_conflict', `flag "${key}" is at stage ${row.stage}; only stage ${stage} can be signed off now, not stage ${input.stage}`, {
        expected: input.stage,
        actual: stage,
      });
    }
    const before = await liveSignoffs(ctx.trx, env, key, row.plan_version, stage);
    if (before.some((s) => s.actor === actor.sub)) {
      throw new Conflict('already_signed', `${actor.sub} already signed off stage ${stage} of plan version ${row.plan_version}`);
    }
    // The evidence the PM signs: the next stage's checks as they stand, judged in this transaction.
    const snapshot = snapshotOf(row.plan_version, await judgeNextStage(ctx.trx, row));
    if (input.snapshotId !== undefined && input.snapshotId !== snapshotId(snapshot)) {
      throw new Conflict('evidence_changed', `the evidence moved since you reviewed it (snapshot ${input.snapshotId}, now ${snapshotId(snapshot)}); review the gates again`, {
        expected: input.snapshotId,
        actual: snapshotId(snapshot),
        snapshot,
      });
    }
    const now = deps.clock().toISOString();
    const inserted = await insertSignoff(ctx.trx, { environment: env, flag: key, plan_version: row.plan_version, stage, actor: actor.sub, role: actor.role, comment: input.comment, at: now, snapshot: canonicalJson(snapshot) });
    const signers = [...before.map((s) => s.actor), actor.sub];
    const signoff = toSignoff(inserted);
    const lapsed = (await lapsedSignoffs(ctx.trx, env, key, row.plan_version, stage)).map((r) => ({ actor: r.actor, at: r.lapsed_at!, metric: r.lapse_metric ?? '', outcome: r.lapse_outcome ?? '', reason: r.lapse_reason ?? '' }));
    const gate = signoffGate(row, stageDef, signers, { signatures: [...before.map(toSignoff), signoff], lapsed });
    await ctx.record({
      action: AuditAction.RolloutSignoff,
      flag: key,
      before: { planVersion: row.plan_version, stage, signers: before.map((s) => s.actor) },
      after: { planVersion: row.plan_version, stage, signers, signoff },
      reason: input.comment,
      environment: env,
    });
    const note =
      actor.sub === row.plan_author
        ? `you wrote plan version ${row.plan_version}: your sign-off counts, but another PM must sign off stage ${stage} too`
        : undefined;
    return note ? { signoff, gate, note } : { signoff, gate };
  });
}
