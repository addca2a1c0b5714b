import { sql, type Updateable } from 'kysely';
import type { FlagTable, Db } from '../storage/schema.js';
import { NotFound } from '../errors.js';
import type { FlagRow } from './flag-view.js';

/** The kill column set of the `flags` row: written only through `killColumns()`. */
type KillColumn = 'killed' | 'killed_by' | 'killed_at' | 'kill_reason' | 'kill_id';
declare const killColumnsBrand: unique symbol;

/**
 * What a mutation may set on a flag row: any column a domain owns, except the version columns
 * (`mutateFlag` sets those) and the kill columns (only a `KillPatch` carries those).
 */
export type FlagPatch = Omit<Updateable<FlagTable>, 'environment' | 'key' | 'version' | 'state_version' | 'updated_at' | 'updated_by' | KillColumn> & { [K in KillColumn]?: never };

/** The kill columns set or cleared, as only `killColumns()` makes them (the kill switch and a guardrail trip). */
export type KillPatch = Required<Pick<Updateable<FlagTable>, KillColumn>> & { readonly [killColumnsBrand]: true };

/**
 * The one function that writes the kill columns: a kill (who, when, why, which kill) or, with
 * null, their clearing on restore. Called by killswitch/kill-service.ts for every kill and restore,
 * and so by a guardrail trip too.
 */
export function killColumns(kill: { by: string; at: string; reason: string; killId: string } | null): KillPatch {
  const set = kill
    ? { killed: 1, killed_by: kill.by, killed_at: kill.at, kill_reason: kill.reason, kill_id: kill.killId }
    : { killed: 0, killed_by: null, killed_at: null, kill_reason: null, kill_id: null };
  return set as KillPatch;
}

/**
 * The flag's own columns (issue 23): the same in every environment's row of a key, written to
 * all of them at once by `updateSharedColumns` only (test/environments-shared.test.ts holds it).
 */
export const SHARED_COLUMNS = [
  'description', 'owner', 'tags', 'on_value', 'off_value', 'salt', 'archived', 'archived_at', 'archived_by', 'created_at', 'created_by',
] as const satisfies readonly (keyof FlagTable)[];
export type SharedColumn = (typeof SHARED_COLUMNS)[number];
export type SharedPatch = Partial<Pick<FlagTable, SharedColumn>>;

/** Splits a patch into the flag's shared columns and the environment's own. */
export function splitShared<P extends object>(patch: P): { shared: SharedPatch; own: Omit<P, SharedColumn> } {
  const shared: Record<string, unknown> = {};
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) ((SHARED_COLUMNS as readonly string[]).includes(k) ? shared : own)[k] = v;
  return { shared: shared as SharedPatch, own: own as Omit<P, SharedColumn> };
}

/**
 * The one writer of the shared columns: sets them on every environment's row of `key` in the
 * caller's transaction, and moves each row's state version to `stateVersion` (SDKs of every
 * environment see the change).
 */
export async function updateSharedColumns(db: Db, key: string, set: SharedPatch, stateVersion: number): Promise<void> {
  if (Object.keys(set).length === 0) return;
  await db.updateTable('flags').set({ ...set, state_version: stateVersion }).where('key', '=', key).execute();
}

export async function getFlagRow(db: Db, env: string, key: string): Promise<FlagRow | undefined> {
  return db.selectFrom('flags').selectAll().where('environment', '=', env).where('key', '=', key).executeTakeFirst();
}

/** Every environment's row of `key` (archived environments included), by environment. */
export async function flagRowsOfKey(db: Db, key: string): Promise<FlagRow[]> {
  return db.selectFrom('flags').selectAll().where('key', '=', key).orderBy('environment').execute();
}

/** Stage, plan version, kill and pause of `keys` in every environment, in one read (the list's `environments`). */
export async function stateRowsOfKeys(db: Db, keys: string[]): Promise<Pick<FlagRow, 'environment' | 'key' | 'stage' | 'plan' | 'plan_version' | 'killed' | 'paused'>[]> {
  if (keys.length === 0) return [];
  return db.selectFrom('flags').select(['environment', 'key', 'stage', 'plan', 'plan_version', 'killed', 'paused']).where('key', 'in', keys).execute();
}

/** The keys of every flag (one per key, archived included), with one environment's row each: what a new environment copies. */
export async function everyFlagRow(db: Db, env: string): Promise<FlagRow[]> {
  return db.selectFrom('flags').selectAll().where('environment', '=', env).orderBy('key').execute();
}

/** The rows of `keys` in one read (absent keys are absent from the map). */
export async function getFlagRows(db: Db, env: string, keys: string[]): Promise<Map<string, FlagRow>> {
  if (keys.length === 0) return new Map();
  const rows = await db.selectFrom('flags').selectAll().where('environment', '=', env).where('key', 'in', keys).execute();
  return new Map(rows.map((r) => [r.key, r]));
}

export interface FlagListFilter {
  includeArchived?: boolean;
  tag?: string;
  owner?: string;
}

/** A flag that exists and is not archived, or a 404: what every read of one flag's rollout needs. */
export async function liveFlagRow(db: Db, env: string, key: string): Promise<FlagRow> {
  const row = await getFlagRow(db, env, key);
  if (!row || row.archived === 1) throw new NotFound(`flag "${key}" does not exist`);
  return row;
}

export async function listFlagRows(db: Db, env: string, f: FlagListFilter = {}): Promise<FlagRow[]> {
  let q = db.selectFrom('flags').selectAll().where('environment', '=', env);
  if (!f.includeArchived) q = q.where('archived', '=', 0);
  if (f.owner !== undefined) q = q.where('owner', '=', f.owner);
  const rows = await q.orderBy('key').execute();
  return f.tag === undefined ? rows : rows.filter((r) => (JSON.parse(r.tags) as string[]).includes(f.tag!));
}

/** `%`, `_` and `\` match themselves in a LIKE pattern written with `ESCAPE '\'`. */
const likeLiteral = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Every column of `flags` but the two values: what the flag list reads before deciding on them. */
const LIST_COLUMNS = [
  'environment', 'key', 'description', 'owner', 'tags', 'salt', 'version', 'archived', 'archived_at', 'archived_by', 'killed', 'killed_by', 'killed_at',
  'kill_reason', 'kill_id', 'stage', 'paused', 'paused_by', 'paused_at', 'pause_reason', 'stage_started_at', 'plan', 'plan_version',
  'plan_author', 'created_at', 'created_by', 'updated_at', 'updated_by', 'state_version', 'max_stale_seconds',
] as const;
// A column added to FlagTable but not listed above fails to compile here.
const everyColumn: [Exclude<keyof FlagTable, (typeof LIST_COLUMNS)[number] | 'on_value' | 'off_value'>] extends [never] ? true : never = true;
void everyColumn;

/** A row of the flag list: a value longer than the list's limit is null (not read), its size in bytes beside it. */
export type FlagListRow = Omit<FlagRow, 'on_value' | 'off_value'> & { on_value: string | null; off_value: string | null; on_bytes: number; off_bytes: number };

/**
 * Up to `limit` flags after the key `after`, in key order (keyset paging: a page's cost does not
 * grow with the number of flags). Values longer than `valueBytes` are not even read (null), so a
 * page of 16 KB prompts costs what a page of booleans does; without `valueBytes`, every value.
 * The tag filter runs in SQL: a tag is a JSON string in `tags`, and tags hold no quote, so
 * `"tag"` appears in the text exactly when the tag is there.
 */
export async function listFlagPage(db: Db, env: string, f: FlagListFilter, after: string | undefined, limit: number, valueBytes?: number): Promise<FlagListRow[]> {
  const value = (col: 'on_value' | 'off_value') =>
    valueBytes === undefined ? sql<string | null>`${sql.ref(col)}` : sql<string | null>`case when octet_length(${sql.ref(col)}) <= ${valueBytes} then ${sql.ref(col)} end`;
  let q = db
    .selectFrom('flags')
    .select(LIST_COLUMNS)
    .select([
      value('on_value').as('on_value'),
      value('off_value').as('off_value'),
      sql<number>`octet_length(on_value)`.as('on_bytes'),
      sql<number>`octet_length(off_value)`.as('off_bytes'),
    ]);
  q = q.where('environment', '=', env);
  if (!f.includeArchived) q = q.where('archived', '=', 0);
  if (f.owner !== undefined) q = q.where('owner', '=', f.owner);
  if (f.tag !== undefined) q = q.where(sql<boolean>`tags like ${`%${likeLiteral(JSON.stringify(f.tag))}%`} escape '\\'`);
  if (after !== undefined) q = q.where('key', '>', after);
  const rows = await q.orderBy('key').limit(limit).execute();
  // PostgreSQL answers octet_length as a number already; a bigint would come as a string.
  return rows.map((r) => ({ ...r, on_bytes: Number(r.on_bytes), off_bytes: Number(r.off_bytes) }));
}

/** Flags whose evaluation state changed after `version` (archived ones included, as removals). */
export async function flagRowsChangedSince(db: Db, env: string, version: number): Promise<FlagRow[]> {
  return db.selectFrom('flags').selectAll().where('environment', '=', env).where('state_version', '>', version).orderBy('state_version').execute();
}

/** Rows of every environment changed after `version`, in state-version order (the cluster's change bus: server/cluster/pg-change-bus.ts). */
export async function flagRowsOfEveryEnvironmentChangedSince(db: Db, version: number): Promise<FlagRow[]> {
  return db.selectFrom('flags').selectAll().where('state_version', '>', version).orderBy('state_version').orderBy('environment').execute();
}

/** Key, stage and stage start of the live flags among `keys` (non-empty): what a sample batch counts its stage by. */
export async function liveStageRows(db: Db, env: string, keys: string[]): Promise<Pick<FlagRow, 'key' | 'stage' | 'stage_started_at' | 'created_at'>[]> {
  return db.selectFrom('flags').select(['key', 'stage', 'stage_started_at', 'created_at']).where('environment', '=', env).where('key', 'in', keys).where('archived', '=', 0).execute();
}

/** Key, stage and stored plan of the live flags among `keys` (non-empty): which stages exist. */
export async function livePlanRows(db: Db, env: string, keys: string[]): Promise<Pick<FlagRow, 'key' | 'stage' | 'plan'>[]> {
  return db.selectFrom('flags').select(['key', 'stage', 'plan']).where('environment', '=', env).where('key', 'in', keys).where('archived', '=', 0).execute();
}

/** Key, owner and creation time of every live flag, by key. */
export async function liveFlagOwners(db: Db, env: string): Promise<Pick<FlagRow, 'key' | 'owner' | 'created_at'>[]> {
  return db.selectFrom('flags').select(['key', 'owner', 'created_at']).where('environment', '=', env).where('archived', '=', 0).orderBy('key').execute();
}

/** Live (not archived) flags still killed by this kill. */
export async function flagRowsKilledWith(db: Db, env: string, killId: string): Promise<FlagRow[]> {
  return db.selectFrom('flags').selectAll().where('environment', '=', env).where('kill_id', '=', killId).where('archived', '=', 0).orderBy('key').execute();
}

export async function insertFlagRow(db: Db, row: FlagRow): Promise<void> {
  await db.insertInto('flags').values(row).execute();
}

/** Writes one environment's columns of a flag, guarded by the version it was computed from; returns false if it moved. */
export async function updateFlagRow(
  db: Db,
  env: string,
  key: string,
  fromVersion: number,
  set: Omit<Updateable<FlagTable>, SharedColumn | 'environment' | 'key'>,
): Promise<boolean> {
  const res = await db.updateTable('flags').set(set).where('environment', '=', env).where('key', '=', key).where('version', '=', fromVersion).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}
