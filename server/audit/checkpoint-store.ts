import type { Selectable, Transaction } from 'kysely';
import type { AuditCheckpointTable, Database, Db } from '../storage/schema.js';
import type { AuditCheckpoint } from './checkpoint-sign.js';

function toCheckpoint(r: Selectable<AuditCheckpointTable>): AuditCheckpoint {
  const c: AuditCheckpoint = { seq: r.seq, head: r.head, at: r.at, keyId: r.key_id, signature: r.signature };
  return r.prev ? { ...c, prev: r.prev } : c;
}

export async function insertCheckpoint(trx: Transaction<Database>, c: AuditCheckpoint): Promise<void> {
  await trx.insertInto('audit_checkpoints').values({ seq: c.seq, head: c.head, at: c.at, key_id: c.keyId, signature: c.signature, prev: c.prev ?? null }).execute();
}

export async function latestCheckpoint(db: Db | Transaction<Database>): Promise<AuditCheckpoint | null> {
  const r = await db.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return r ? toCheckpoint(r) : null;
}

/** Newest first, keyset-paged on seq. */
export async function listCheckpoints(db: Db, beforeSeq: number | undefined, limit: number): Promise<AuditCheckpoint[]> {
  let q = db.selectFrom('audit_checkpoints').selectAll();
  if (beforeSeq !== undefined) q = q.where('seq', '<', beforeSeq);
  return (await q.orderBy('seq', 'desc').limit(limit).execute()).map(toCheckpoint);
}

/** Every stored checkpoint, oldest first; none in a database made before migration 0011. */
export async function allCheckpoints(db: Db): Promise<AuditCheckpoint[]> {
  const tables = await db.introspection.getTables();
  if (!tables.some((t) => t.name === 'audit_checkpoints')) return [];
  return (await db.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'asc').execute()).map(toCheckpoint);
}

/** The hash stored for entry `seq`, if the entry exists. */
export async function entryHashAt(db: Db, seq: number): Promise<string | undefined> {
  return (await db.selectFrom('audit').select('hash').where('seq', '=', seq).executeTakeFirst())?.hash;
}
