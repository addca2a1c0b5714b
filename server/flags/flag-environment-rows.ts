import { nextStateVersion } from '../meta-store.js';
import type { Db } from '../storage/schema.js';
import { everyFlagRow, insertFlagRow } from './flag-store.js';
import type { FlagRow } from './flag-view.js';

/** A flag's fresh row in an environment: its shared columns as they are, the environment's own as a new flag's (no plan, stage 0, live). */
function freshRow(from: FlagRow, env: string, at: string, by: string, stateVersion: number): FlagRow {
  return {
    ...from,
    environment: env,
    version: 1,
    killed: 0, killed_by: null, killed_at: null, kill_reason: null, kill_id: null,
    stage: 0, paused: 0, paused_by: null, paused_at: null, pause_reason: null, stage_started_at: null,
    plan: null, plan_version: 0, plan_author: null,
    updated_at: at, updated_by: by, state_version: stateVersion,
  };
}

/**
 * Gives every flag of `source` without a row in `env` a fresh one there, in the caller's
 * transaction (an environment created, or unarchived after flags were created). The salt is
 * the flag's: a user's bucket is the same in every environment (docs/bucketing.md).
 */
export async function fillEnvironment(db: Db, source: string, env: string, at: string, by: string): Promise<number> {
  const have = new Set((await everyFlagRow(db, env)).map((r) => r.key));
  const missing = (await everyFlagRow(db, source)).filter((r) => !have.has(r.key));
  if (missing.length === 0) return 0;
  const stateVersion = await nextStateVersion(db);
  for (const r of missing) await insertFlagRow(db, freshRow(r, env, at, by, stateVersion));
  return missing.length;
}
