import type { Kysely } from 'kysely';
import type { Database } from '../db.js';
import type { FlagRow } from '../flags/flag-view.js';

type Q = Kysely<Database>;

/** The audit actions that kill a flag; their `after` (the flag view) carries the kill's id. */
const KILL_ACTIONS = ['flag.kill', 'rollout.guardrail_trip'];

/** Live (not archived) flags still killed by this kill. */
export async function flagsKilledWith(db: Q, killId: string): Promise<FlagRow[]> {
  return db.selectFrom('flags').selectAll().where('kill_id', '=', killId).where('archived', '=', 0).orderBy('key').execute();
}

/**
 * Every flag this kill ever killed, whatever happened to it since: read from the audit trail,
 * where each kill's entry holds the flag view with its `killId` (canonical JSON, no spaces).
 * A scan of the kill entries, not indexed: a restore by kill id is a rare, deliberate act.
 * `killId` is a validated UUID, so it holds no LIKE wildcard.
 */
export async function flagsEverKilledWith(db: Q, killId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('audit')
    .select('flag')
    .distinct()
    .where('action', 'in', KILL_ACTIONS)
    .where('after', 'like', `%"killId":"${killId}"%`)
    .execute();
  return rows.map((r) => r.flag).filter((f): f is string => f !== null);
}
