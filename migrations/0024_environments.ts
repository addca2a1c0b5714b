import { sql, type ColumnDataType, type Kysely } from 'kysely';
import { bytes, float8, int8, restartSerial, serialPrimaryKey } from '../server/storage/migration-sql.js';

/**
 * Environments (issue 23): `environments` holds them as data, `production` alone (protected) to
 * start with. `flags` holds one row per (environment, key), and every per-environment table gets
 * an `environment` column (existing rows become `production`: nothing is lost) that its primary
 * key or unique index and its reference to `flags` include. Those tables are rebuilt (SQLite
 * cannot change a primary key in place): a copy with the new shape is created beside each, the
 * rows copied, the old one dropped and the copy renamed, children before `flags`. `sdk_keys`
 * gets the environment its key belongs to, `audit` a nullable one (hashed only when not null).
 */

type Kind = 'text' | 'int' | 'int8' | 'float' | 'bytes';
/** name, kind, not null, default */
type Col = readonly [string, Kind, boolean?, number?];
interface Table {
  name: string;
  cols: readonly Col[];
  /** The primary key (or, with `unique`, the unique constraint) without the environment. */
  key: readonly string[];
  unique?: string;
  serial?: boolean;
  /** Has a `flag` column referencing flags. */
  child: boolean;
  /** name, columns without the environment, whether the environment leads it. */
  indexes: readonly (readonly [string, readonly string[], boolean])[];
}

const T = 'text', I = 'int', B = 'int8', F = 'float';
const nn = true;

const FLAGS: Table = {
  name: 'flags', child: false, key: ['key'],
  cols: [
    ['key', T, nn], ['description', T, nn], ['owner', T, nn], ['tags', T, nn], ['on_value', T, nn], ['off_value', T, nn], ['salt', T, nn],
    ['version', B, nn], ['archived', I, nn, 0], ['archived_at', T], ['archived_by', T], ['killed', I, nn, 0], ['killed_by', T], ['killed_at', T],
    ['kill_reason', T], ['kill_id', T], ['stage', I, nn, 0], ['paused', I, nn, 0], ['paused_by', T], ['paused_at', T], ['pause_reason', T],
    ['stage_started_at', T], ['plan', T], ['plan_version', B, nn, 0], ['plan_author', T], ['created_at', T, nn], ['created_by', T, nn],
    ['updated_at', T, nn], ['updated_by', T, nn], ['state_version', B, nn], ['max_stale_seconds', B],
  ],
  indexes: [['flags_state_version', ['state_version'], false], ['flags_kill_id', ['kill_id'], false]],
};

const CHILDREN: readonly Table[] = [
  {
    name: 'plan_versions', child: true, serial: true, key: ['flag', 'version'], unique: 'flag_version',
    cols: [['flag', T, nn], ['version', B, nn], ['plan', T, nn], ['author', T, nn], ['created_at', T, nn]], indexes: [],
  },
  {
    name: 'signoffs', child: true, serial: true, key: [],
    cols: [
      ['flag', T, nn], ['plan_version', B, nn], ['stage', I, nn], ['actor', T, nn], ['role', T, nn], ['comment', T, nn], ['at', T, nn], ['voided_at', T],
      ['void_reason', T], ['snapshot', T], ['lapsed_at', T], ['lapse_reason', T], ['lapse_metric', T], ['lapse_outcome', T],
    ],
    indexes: [['signoffs_flag_plan_stage', ['flag', 'plan_version', 'stage'], true]],
  },
  {
    name: 'metric_samples', child: true, serial: true, key: [],
    cols: [['flag', T, nn], ['metric', T, nn], ['value', F, nn], ['cohort', T, nn], ['stage', I, nn], ['at', T, nn], ['received_at', T, nn], ['count', B, nn, 1], ['stddev', F]],
    indexes: [['metric_samples_flag_metric_at', ['flag', 'metric', 'at'], true], ['metric_samples_received_at', ['received_at'], false]],
  },
  {
    name: 'flag_usage', child: true, key: ['flag', 'stage', 'variant', 'day'],
    cols: [['flag', T, nn], ['stage', I, nn], ['variant', T, nn], ['day', T, nn], ['count', B, nn], ['last_seen_at', T, nn]],
    indexes: [['flag_usage_last_seen', ['flag', 'last_seen_at'], true], ['flag_usage_day', ['day'], false]],
  },
  {
    name: 'flag_reach', child: true, key: ['flag', 'stage', 'day'],
    cols: [['flag', T, nn], ['stage', I, nn], ['day', T, nn], ['regs', 'bytes', nn]],
    indexes: [['flag_reach_day', ['day'], false]],
  },
  {
    name: 'metric_aggregates', child: true, key: ['flag', 'since', 'stage', 'metric', 'cohort'],
    cols: [
      ['flag', T, nn], ['stage', I, nn], ['since', T, nn], ['metric', T, nn], ['cohort', T, nn], ['count', B, nn], ['min', F, nn], ['max', F, nn],
      ['updated_at', T, nn], ['mean', F, nn, 0], ['m2', F, nn, 0],
    ],
    indexes: [],
  },
  {
    name: 'metric_names', child: true, key: ['flag', 'metric'],
    cols: [['flag', T, nn], ['metric', T, nn], ['last_seen_at', T, nn]],
    indexes: [['metric_names_last_seen', ['last_seen_at'], false]],
  },
  {
    name: 'metric_reporters', child: true, key: ['flag', 'since', 'stage', 'metric', 'reporter'],
    cols: [['flag', T, nn], ['stage', I, nn], ['since', T, nn], ['metric', T, nn], ['reporter', T, nn], ['last_seen_at', T, nn]],
    indexes: [],
  },
  { name: 'kill_members', child: false, key: ['kill_id', 'flag'], cols: [['kill_id', T, nn], ['flag', T, nn]], indexes: [] },
];

function typeOf(db: Kysely<any>, kind: Kind): ColumnDataType {
  return kind === 'text' ? 'text' : kind === 'int' ? 'integer' : kind === 'int8' ? int8(db) : kind === 'float' ? float8(db) : bytes(db);
}

const tmp = (name: string) => `${name}_rebuild`;

/** Creates `t`'s copy with (up) or without (down) the environment column, its key and reference. */
async function createCopy(db: Kysely<any>, t: Table, withEnv: boolean): Promise<void> {
  const env = withEnv ? ['environment'] : [];
  let q = db.schema.createTable(tmp(t.name));
  if (t.serial) q = q.addColumn('id', int8(db), serialPrimaryKey(db));
  if (withEnv) q = q.addColumn('environment', 'text', (c) => (t === FLAGS ? c.notNull() : c.notNull().defaultTo(sql`'production'`)));
  for (const [name, kind, notNull, dflt] of t.cols) {
    q = q.addColumn(name, typeOf(db, kind), (c) => {
      let d = notNull ? c.notNull() : c;
      if (dflt !== undefined) d = d.defaultTo(dflt);
      return d;
    });
  }
  // Constraint names differ between the two shapes: both exist for a moment on PostgreSQL.
  const suffix = withEnv ? 'env_' : '';
  if (t.unique) q = q.addUniqueConstraint(`${t.name}_${suffix}${t.unique}`, [...env, ...t.key] as never);
  else if (t.key.length > 0) q = q.addPrimaryKeyConstraint(`${t.name}_${suffix}pk`, [...env, ...t.key] as never);
  if (t.child) q = q.addForeignKeyConstraint(`${t.name}_${suffix}flag_fk`, [...env, 'flag'] as never, tmp('flags'), [...env, 'key']);
  await q.execute();
}

async function copyRows(db: Kysely<any>, t: Table, withEnv: boolean): Promise<void> {
  const cols = [...(t.serial ? ['id'] : []), ...t.cols.map((c) => c[0])];
  const list = sql.join(cols.map((c) => sql.ref(c)));
  if (withEnv) {
    await sql`INSERT INTO ${sql.table(tmp(t.name))} (environment, ${list}) SELECT 'production', ${list} FROM ${sql.table(t.name)}`.execute(db);
  } else {
    await sql`INSERT INTO ${sql.table(tmp(t.name))} (${list}) SELECT ${list} FROM ${sql.table(t.name)} WHERE environment = 'production'`.execute(db);
  }
  if (t.serial) await restartSerial(db, tmp(t.name), 'id');
}

/** Every rebuilt table, with or without the environment: copies made and filled, old ones dropped, copies renamed, indexes made again. */
async function rebuild(db: Kysely<any>, withEnv: boolean): Promise<void> {
  const all = [FLAGS, ...CHILDREN];
  for (const t of all) await createCopy(db, t, withEnv);
  for (const t of all) await copyRows(db, t, withEnv);
  for (const t of [...CHILDREN, FLAGS]) await db.schema.dropTable(t.name).execute();
  for (const t of [FLAGS, ...CHILDREN]) await db.schema.alterTable(tmp(t.name)).renameTo(t.name).execute();
  for (const t of all) {
    for (const [name, cols, envFirst] of t.indexes) {
      await db.schema.createIndex(name).on(t.name).columns(withEnv && envFirst ? ['environment', ...cols] : [...cols]).execute();
    }
  }
}

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('environments')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('position', int8(db), (c) => c.notNull())
    .addColumn('protected', int8(db), (c) => c.notNull().defaultTo(0))
    .addColumn('require_signoff', int8(db), (c) => c.notNull().defaultTo(1))
    .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('archived_at', 'text')
    .addColumn('archived_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('version', int8(db), (c) => c.notNull())
    .execute();
  const at = new Date().toISOString();
  await db
    .insertInto('environments')
    .values({ key: 'production', name: 'Production', position: 0, protected: 1, require_signoff: 1, archived: 0, created_at: at, created_by: 'migration', updated_at: at, updated_by: 'migration', version: 1 })
    .execute();
  await rebuild(db, true);
  await db.schema.alterTable('sdk_keys').addColumn('environment', 'text', (c) => c.notNull().defaultTo(sql`'production'`)).execute();
  await db.schema.alterTable('audit').addColumn('environment', 'text').execute();
  await db.schema.createIndex('audit_environment_seq').on('audit').columns(['environment', 'seq']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_environment_seq').execute();
  await db.schema.alterTable('audit').dropColumn('environment').execute();
  await db.schema.alterTable('sdk_keys').dropColumn('environment').execute();
  await rebuild(db, false);
  await db.schema.dropTable('environments').execute();
}
