import type { Kysely } from 'kysely';
import { appendOnly, dropAppendOnly } from '../server/storage/migration-sql.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('flags')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('on_value', 'text', (c) => c.notNull())
    .addColumn('off_value', 'text', (c) => c.notNull())
    .addColumn('salt', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('archived_at', 'text')
    .addColumn('archived_by', 'text')
    .addColumn('killed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('killed_by', 'text')
    .addColumn('killed_at', 'text')
    .addColumn('kill_reason', 'text')
    .addColumn('stage', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('paused', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('paused_by', 'text')
    .addColumn('paused_at', 'text')
    .addColumn('pause_reason', 'text')
    .addColumn('stage_started_at', 'text')
    .addColumn('plan', 'text')
    .addColumn('plan_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('plan_author', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('state_version', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('flags_state_version').on('flags').column('state_version').execute();

  await db.schema
    .createTable('audit')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('flag', 'text')
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .addColumn('reason', 'text')
    .addColumn('request_id', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_flag_seq').on('audit').columns(['flag', 'seq']).execute();
  await db.schema.createIndex('audit_actor_seq').on('audit').columns(['actor', 'seq']).execute();
  await db.schema.createIndex('audit_at').on('audit').column('at').execute();
  // The audit trail is append-only, enforced by the database itself (triggers; plpgsql on PostgreSQL).
  await appendOnly(db, 'audit', 'audit trail is append-only');

  await db.schema
    .createTable('sdk_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_by', 'text')
    .execute();

  await db.schema
    .createTable('meta')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'integer', (c) => c.notNull())
    .execute();
  await db.insertInto('meta' as never).values({ key: 'state_version', value: 0 } as never).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('meta').execute();
  await db.schema.dropTable('sdk_keys').execute();
  await dropAppendOnly(db, 'audit');
  await db.schema.dropTable('audit').execute();
  await db.schema.dropTable('flags').execute();
}
