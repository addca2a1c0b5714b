import type { Selectable } from 'kysely';
import { createHash } from 'node:crypto';
import type { Signoff, SignoffSnapshot } from '@switchyard-flags/sdk/api';
import { canonicalJson } from '../audit/audit-hash.js';
import type { SignoffTable, Db } from '../storage/schema.js';

export type SignoffRow = Selectable<SignoffTable>;

/** 12 hex of the SHA-256 of a snapshot's canonical JSON. */
export function snapshotId(s: SignoffSnapshot): string {
  return createHash('sha256').update(canonicalJson(s)).digest('hex').slice(0, 12);
}

export function toSignoff(r: SignoffRow): Signoff {
  const snapshot = r.snapshot === null ? null : (JSON.parse(r.snapshot) as SignoffSnapshot);
  const lapse = r.lapsed_at === null ? {} : { lapsedAt: r.lapsed_at, lapseReason: r.lapse_reason ?? '' };
  return { id: r.id, planVersion: r.plan_version, stage: r.stage, actor: r.actor, comment: r.comment, at: r.at, snapshot, snapshotId: snapshot && snapshotId(snapshot), ...lapse };
}

export async function insertPlanVersion(db: Db, v: { environment: string; flag: string; version: number; plan: string; author: string; created_at: string }): Promise<void> {
  await db.insertInto('plan_versions').values(v).execute();
}

export async function getPlanVersion(db: Db, env: string, flag: string, version: number) {
  return db.selectFrom('plan_versions').selectAll().where('environment', '=', env).where('flag', '=', flag).where('version', '=', version).executeTakeFirst();
}

/** Sign-offs of this plan version (and stage, if given) not voided, lapsed or not as asked, oldest first. */
function unvoidedSignoffs(db: Db, env: string, flag: string, planVersion: number, lapsed: boolean, stage?: number): Promise<SignoffRow[]> {
  let q = db
    .selectFrom('signoffs')
    .selectAll()
    .where('environment', '=', env)
    .where('flag', '=', flag)
    .where('plan_version', '=', planVersion)
    .where('voided_at', 'is', null)
    .where('lapsed_at', lapsed ? 'is not' : 'is', null);
  if (stage !== undefined) q = q.where('stage', '=', stage);
  return q.orderBy('id').execute();
}

/** Sign-offs that still count: not voided, not lapsed, for this plan version (and stage, if given), oldest first. */
export function liveSignoffs(db: Db, env: string, flag: string, planVersion: number, stage?: number): Promise<SignoffRow[]> {
  return unvoidedSignoffs(db, env, flag, planVersion, false, stage);
}

/** Sign-offs of this plan version (and stage, if given) that lapsed and were not voided since, oldest first. */
export function lapsedSignoffs(db: Db, env: string, flag: string, planVersion: number, stage?: number): Promise<SignoffRow[]> {
  return unvoidedSignoffs(db, env, flag, planVersion, true, stage);
}

/** Marks one live sign-off lapsed; false if it was no longer live. */
export async function lapseSignoff(db: Db, id: number, lapse: { at: string; reason: string; metric: string; outcome: string }): Promise<boolean> {
  const r = await db
    .updateTable('signoffs')
    .set({ lapsed_at: lapse.at, lapse_reason: lapse.reason, lapse_metric: lapse.metric, lapse_outcome: lapse.outcome })
    .where('id', '=', id)
    .where('voided_at', 'is', null)
    .where('lapsed_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

type Lapse = 'lapsed_at' | 'lapse_reason' | 'lapse_metric' | 'lapse_outcome';

export async function insertSignoff(db: Db, s: Omit<SignoffRow, 'id' | 'voided_at' | 'void_reason' | Lapse>): Promise<SignoffRow> {
  const none = { voided_at: null, void_reason: null, lapsed_at: null, lapse_reason: null, lapse_metric: null, lapse_outcome: null };
  return db.insertInto('signoffs').values({ ...s, ...none }).returningAll().executeTakeFirstOrThrow();
}

/** Voids live sign-offs of older plan versions (a plan edit), or of stages above `aboveStage` (a rollback). */
export async function voidSignoffs(
  db: Db,
  env: string,
  flag: string,
  scope: { olderThanPlanVersion: number } | { planVersion: number; aboveStage: number },
  at: string,
  reason: string,
): Promise<number> {
  let q = db.updateTable('signoffs').set({ voided_at: at, void_reason: reason }).where('environment', '=', env).where('flag', '=', flag).where('voided_at', 'is', null);
  q = 'olderThanPlanVersion' in scope
    ? q.where('plan_version', '<', scope.olderThanPlanVersion)
    : q.where('plan_version', '=', scope.planVersion).where('stage', '>', scope.aboveStage);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows);
}
