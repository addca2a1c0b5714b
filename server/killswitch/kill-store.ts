import type { Db } from '../storage/schema.js';

/** Records that `killId` killed `flag`, in the kill's own transaction. */
export async function recordKillMember(db: Db, env: string, killId: string, flag: string): Promise<void> {
  await db.insertInto('kill_members').values({ environment: env, kill_id: killId, flag }).onConflict((oc) => oc.doNothing()).execute();
}

/** Every flag this kill ever killed, whatever happened to it since. */
export async function flagsEverKilledWith(db: Db, env: string, killId: string): Promise<string[]> {
  const rows = await db.selectFrom('kill_members').select('flag').where('environment', '=', env).where('kill_id', '=', killId).orderBy('flag').execute();
  return rows.map((r) => r.flag);
}
