import { sql } from 'kysely';
import type { Db } from '../storage/schema.js';
import { dbNowMs } from './replica-store.js';

/**
 * The `leases` table (migrations/0015): every query on it is here. One conditional upsert
 * takes or renews a lease: it succeeds only for its holder or once the lease expired, by the
 * database's clock, so two replicas can never both be told they hold it at the same moment.
 */
export async function tryLease(db: Db, name: string, holder: string, ttlMs: number): Promise<boolean> {
  const r = await sql<{ holder: string }>`insert into leases (name, holder, expires_at) values (${name}, ${holder}, ${dbNowMs} + ${ttlMs})
    on conflict (name) do update set holder = excluded.holder, expires_at = excluded.expires_at
    where leases.holder = excluded.holder or leases.expires_at < ${dbNowMs}
    returning holder`.execute(db);
  return r.rows.length === 1;
}

/** Gives the lease up (clean shutdown), so another replica takes it at its next heartbeat. */
export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
}

export async function leaseHolder(db: Db, name: string): Promise<string | undefined> {
  return (await db.selectFrom('leases').select('holder').where('name', '=', name).executeTakeFirst())?.holder;
}
