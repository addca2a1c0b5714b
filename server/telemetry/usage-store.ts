import { sql, type Transaction } from 'kysely';
import type { Database, Db } from '../storage/schema.js';
import { larger, type StorageLane } from '../storage/storage.js';
import { liveFlagOwners } from '../flags/flag-store.js';
import { screen, stageLimits, type OnRefused } from './telemetry-bounds.js';

export interface UsageRow {
  flag: string;
  stage: number;
  variant: 'on' | 'off' | 'fallback';
  day: string;
  count: number;
  lastSeenAt: string;
}

const CHUNK = 400;

/** Adds rows to their (flag, stage, variant, day) totals in one transaction; rows of unknown flags are dropped. Returns rows written. */
export async function addUsage(storage: StorageLane, env: string, rows: UsageRow[], onRefused?: OnRefused): Promise<number> {
  if (!rows.length) return 0;
  return storage.write(false, async (trx) => {
    const limits = await stageLimits(trx, env, [...new Set(rows.map((r) => r.flag))], CHUNK);
    const kept = screen(rows, limits, onRefused, (r) => r.variant === 'on');
    for (let i = 0; i < kept.length; i += CHUNK) await upsert(trx, env, kept.slice(i, i + CHUNK));
    return kept.length;
  });
}

async function upsert(trx: Transaction<Database>, env: string, rows: UsageRow[]): Promise<void> {
  await trx
    .insertInto('flag_usage')
    .values(rows.map((r) => ({ environment: env, flag: r.flag, stage: r.stage, variant: r.variant, day: r.day, count: r.count, last_seen_at: r.lastSeenAt })))
    .onConflict((oc) =>
      oc.columns(['environment', 'flag', 'stage', 'variant', 'day']).doUpdateSet({
        count: sql<number>`flag_usage.count + excluded.count`,
        last_seen_at: larger(sql<string>`flag_usage.last_seen_at`, sql<string>`excluded.last_seen_at`),
      }),
    )
    .execute();
}

export interface StageVariantTotal {
  stage: number;
  variant: string;
  count: number;
  lastSeenAt: string;
}

/** Totals per (stage, variant) of one flag, from `sinceDay` (inclusive) if given. */
export async function usageOf(db: Db, env: string, flag: string, sinceDay?: string): Promise<StageVariantTotal[]> {
  let q = db
    .selectFrom('flag_usage')
    .select(['stage', 'variant', sql<number>`sum(count)`.as('count'), sql<string>`max(last_seen_at)`.as('lastSeenAt')])
    .where('environment', '=', env)
    .where('flag', '=', flag);
  if (sinceDay) q = q.where('day', '>=', sinceDay);
  // PostgreSQL sums a bigint column as numeric (a string through pg): read back as a number, as SQLite gives it.
  const rows = await q.groupBy(['stage', 'variant']).orderBy('stage').orderBy('variant').execute();
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}

export interface StaleRow {
  key: string;
  owner: string;
  createdAt: string;
  lastEvaluatedAt: string | null;
}

/** Live (not archived) flags with no evaluation since `cutoff`, and never-evaluated ones created before it. */
export async function staleFlags(db: Db, env: string, cutoff: string): Promise<StaleRow[]> {
  // The live flags are the flags domain's (flag-store); this store only knows when each was last evaluated.
  const lastRows = await db.selectFrom('flag_usage').select(['flag', sql<string>`max(last_seen_at)`.as('last')]).where('environment', '=', env).groupBy('flag').execute();
  const last = new Map(lastRows.map((r) => [r.flag, r.last]));
  return (await liveFlagOwners(db, env)).flatMap((f) => {
    const lastEvaluatedAt = last.get(f.key) ?? null;
    const stale = lastEvaluatedAt === null ? f.created_at < cutoff : lastEvaluatedAt < cutoff;
    return stale ? [{ key: f.key, owner: f.owner, createdAt: f.created_at, lastEvaluatedAt }] : [];
  });
}

/** Deletes up to `batch` usage rows of UTC days before `cutoff` (retention). */
export function pruneUsage(storage: Pick<StorageLane, 'deleteOldest'>, db: Db, cutoff: string, batch: number): Promise<number> {
  return storage.deleteOldest(db, 'flag_usage', 'day', cutoff, batch);
}
