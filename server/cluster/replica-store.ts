import { sql } from 'kysely';
import type { Db, ReplicaTable } from '../storage/schema.js';

/** The database's clock in ms: every replica judges heartbeats and leases by the same clock. */
export const dbNowMs = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`;

export interface ReplicaRow extends ReplicaTable {
  /** ms since its last heartbeat, by the database's clock. */
  age_ms: number;
}

/** The `replicas` table (migrations/0015): every query on it is here. */
export async function heartbeat(db: Db, r: Omit<ReplicaTable, 'started_at' | 'heartbeat_at'>): Promise<void> {
  await sql`insert into replicas (id, name, url, started_at, heartbeat_at, sdk_count, acks, state_version, key_streams)
    values (${r.id}, ${r.name}, ${r.url}, ${dbNowMs}, ${dbNowMs}, ${r.sdk_count}, ${r.acks}, ${r.state_version}, ${r.key_streams})
    on conflict (id) do update set url = excluded.url, heartbeat_at = excluded.heartbeat_at, sdk_count = excluded.sdk_count,
      acks = excluded.acks, state_version = excluded.state_version, key_streams = excluded.key_streams`.execute(db);
}

export async function listReplicas(db: Db): Promise<ReplicaRow[]> {
  const r = await sql<ReplicaRow>`select id, name, url, started_at, heartbeat_at, sdk_count, acks, state_version, key_streams,
    (${dbNowMs} - heartbeat_at)::bigint as age_ms from replicas order by name, id`.execute(db);
  return r.rows;
}

export async function removeReplica(db: Db, id: string): Promise<void> {
  await db.deleteFrom('replicas').where('id', '=', id).execute();
}

/** Forgets replicas silent for longer than `ms` (they were listed as gone meanwhile). */
export async function pruneReplicas(db: Db, ms: number): Promise<number> {
  const r = await sql`delete from replicas where heartbeat_at < ${dbNowMs} - ${ms}`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
