import { sql, type Kysely } from 'kysely';
import { jsonIsTrue, jsonText } from '../server/storage/migration-sql.js';

/**
 * Which flags each kill killed, written with the kill: a restore by kill id finds the flags
 * of that kill restored (or killed again) since by index, not by scanning the audit trail.
 * Kills made before this migration are read back from their audit entries once, here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('kill_members')
    .addColumn('kill_id', 'text', (c) => c.notNull())
    .addColumn('flag', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('kill_members_pk', ['kill_id', 'flag'])
    .execute();
  const killId = jsonText(db, 'after', 'killId');
  await sql`INSERT INTO kill_members (kill_id, flag)
    SELECT ${killId}, flag FROM audit
    WHERE action IN ('flag.kill', 'rollout.guardrail_trip') AND flag IS NOT NULL
      AND ${killId} IS NOT NULL AND ${jsonIsTrue(db, 'after', 'killed')}
    ON CONFLICT DO NOTHING`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('kill_members').execute();
}
