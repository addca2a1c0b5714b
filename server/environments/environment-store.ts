import type { Selectable, Updateable } from 'kysely';
import type { Environment } from '@switchyard-flags/sdk/api';
import type { Db, EnvironmentTable } from '../storage/schema.js';

/** The `environments` table (migrations/0024): every query on it is here. Rows are never deleted. */
export type EnvironmentRow = Selectable<EnvironmentTable>;

export function toEnvironment(r: EnvironmentRow): Environment {
  return {
    key: r.key,
    name: r.name,
    order: Number(r.position),
    protected: r.protected === 1,
    requireSignoff: r.require_signoff === 1,
    archived: r.archived === 1,
    version: Number(r.version),
    createdAt: r.created_at,
    createdBy: r.created_by,
    updatedAt: r.updated_at,
    updatedBy: r.updated_by,
  };
}

/** Every environment (archived ones only when asked), in order, then by key. */
export async function listEnvironmentRows(db: Db, includeArchived: boolean): Promise<EnvironmentRow[]> {
  let q = db.selectFrom('environments').selectAll();
  if (!includeArchived) q = q.where('archived', '=', 0);
  return q.orderBy('position').orderBy('key').execute();
}

export async function getEnvironmentRow(db: Db, key: string): Promise<EnvironmentRow | undefined> {
  return db.selectFrom('environments').selectAll().where('key', '=', key).executeTakeFirst();
}

/**
 * Whether an advance in `env` needs the PM sign-offs of its plan: always, unless the environment
 * is unprotected and set to `requireSignoff: false` (issue 23). An unknown environment needs them.
 */
export async function signoffRequired(db: Db, env: string): Promise<boolean> {
  const row = await getEnvironmentRow(db, env);
  return !(row && row.protected === 0 && row.require_signoff === 0);
}

export async function insertEnvironmentRow(db: Db, row: EnvironmentRow): Promise<void> {
  await db.insertInto('environments').values(row).execute();
}

/** Writes a change guarded by the version it was computed from; false if it moved. */
export async function updateEnvironmentRow(db: Db, key: string, fromVersion: number, set: Omit<Updateable<EnvironmentTable>, 'key'>): Promise<boolean> {
  const r = await db.updateTable('environments').set(set).where('key', '=', key).where('version', '=', fromVersion).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
