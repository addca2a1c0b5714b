import type { Selectable } from 'kysely';
import type { FlagListItem, FlagView } from '@switchyard-flags/sdk/api';
import type { CohortRule, FlagState, Json } from '@switchyard-flags/sdk/protocol';
import type { FlagTable } from '../storage/schema.js';
import type { FlagListRow } from './flag-store.js';

export type FlagRow = Selectable<FlagTable>;

/** The part of a stored plan the flag view needs; the rollout module owns the full shape. */
export interface PlanShape {
  cohort: CohortRule[];
  stages: Array<{ percent: number }>;
}

/** When the current stage began: its start, or the flag's creation while it has never started. */
export function stageStart(row: Pick<FlagRow, 'stage_started_at' | 'created_at'>): string {
  return row.stage_started_at ?? row.created_at;
}

export function parsePlan(row: Pick<FlagRow, 'plan'>): PlanShape | null {
  return row.plan === null ? null : (JSON.parse(row.plan) as PlanShape);
}

/** The percentage of the eligible cohort a stage serves; stage 0 serves nobody. */
export function stagePercent(plan: PlanShape | null, stage: number): number {
  if (!plan || stage <= 0) return 0;
  return plan.stages[stage - 1]?.percent ?? 0;
}

export function toFlagView(row: FlagRow): FlagView {
  const plan = parsePlan(row);
  return {
    key: row.key,
    description: row.description,
    owner: row.owner,
    tags: JSON.parse(row.tags) as string[],
    on: JSON.parse(row.on_value) as Json,
    off: JSON.parse(row.off_value) as Json,
    version: row.version,
    archived: row.archived === 1,
    archivedAt: row.archived_at,
    archivedBy: row.archived_by,
    killed: row.killed === 1,
    killedBy: row.killed_by,
    killedAt: row.killed_at,
    killReason: row.kill_reason,
    killId: row.kill_id,
    stage: row.stage,
    stages: plan?.stages.length ?? 0,
    percent: stagePercent(plan, row.stage),
    paused: row.paused === 1,
    pausedBy: row.paused_by,
    pausedAt: row.paused_at,
    pauseReason: row.pause_reason,
    stageStartedAt: row.stage_started_at,
    planVersion: row.plan_version,
    planAuthor: row.plan_author,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
    stateVersion: row.state_version,
    maxStaleSeconds: row.max_stale_seconds ?? null,
    cohortRules: plan?.cohort.length ?? 0,
  };
}

/** A value longer than this (as JSON) is left out of the flag list unless `?values=full`. */
export const LIST_VALUE_BYTES = 256;

/** One flag of the list: the FlagView, with the values the list did not read left out and their sizes said. */
export function toFlagListItem(row: FlagListRow): FlagListItem {
  const view: FlagListItem = toFlagView({ ...row, on_value: 'null', off_value: 'null' });
  const omitted: { on?: number; off?: number } = {};
  for (const [k, text, bytes] of [['on', row.on_value, row.on_bytes], ['off', row.off_value, row.off_bytes]] as const) {
    if (text !== null) view[k] = JSON.parse(text) as Json;
    else {
      delete view[k];
      omitted[k] = bytes;
    }
  }
  return omitted.on === undefined && omitted.off === undefined ? view : { ...view, omittedValues: omitted };
}

/** What an SDK needs to evaluate the flag: the wire shape pushed to every client. */
export function toFlagState(row: FlagRow): FlagState {
  const plan = parsePlan(row);
  return {
    key: row.key,
    version: row.version,
    on: JSON.parse(row.on_value) as Json,
    off: JSON.parse(row.off_value) as Json,
    salt: row.salt,
    killed: row.killed === 1,
    paused: row.paused === 1,
    stage: row.stage,
    percent: stagePercent(plan, row.stage),
    cohort: plan?.cohort ?? [],
    // Only a leased flag carries it: an SDK that predates the lease ignores the field.
    ...(row.max_stale_seconds ? { maxStaleSeconds: row.max_stale_seconds } : {}),
  };
}
