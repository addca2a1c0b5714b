import { mergeRegs } from '@switchyard-flags/sdk/reach';
import { REACH_REGISTERS } from '@switchyard-flags/sdk/protocol';
import type { Db } from '../storage/schema.js';
import type { StorageLane } from '../storage/storage.js';
import { screen, stageLimits, type OnRefused } from './telemetry-bounds.js';

export interface ReachRow {
  flag: string;
  stage: number;
  day: string;
  regs: Uint8Array;
}

const CHUNK = 400;


/**
 * Merges rows into their (flag, stage, day) registers (per-register max) in one transaction;
 * rows of unknown flags are dropped. Returns rows written.
 */
export async function addReach(storage: StorageLane, env: string, rows: ReachRow[], onRefused?: OnRefused): Promise<number> {
  if (!rows.length) return 0;
  return storage.write(false, async (trx) => {
    // Read, merge, write: on PostgreSQL two replicas flushing the same day at once would each
    // merge into the row as they read it and one would lose the other's users. A lock of its own
    // (never the audit chain's) serializes reach flushes only; SQLite has one writer.
    await storage.lock(trx, 'reach');
    const keys = [...new Set(rows.map((r) => r.flag))];
    const limits = await stageLimits(trx, env, keys, CHUNK);
    const held = new Map<string, Uint8Array>();
    for (let i = 0; i < keys.length; i += CHUNK) {
      const part = keys.slice(i, i + CHUNK);
      const days = [...new Set(rows.map((r) => r.day))];
      const old = await trx.selectFrom('flag_reach').selectAll().where('environment', '=', env).where('flag', 'in', part).where('day', 'in', days).execute();
      for (const o of old) held.set(`${o.flag}\n${o.stage}\n${o.day}`, o.regs);
    }
    // Reach counts users served `on`: none at stage 0.
    const kept = screen(rows, limits, onRefused, () => true);
    for (const r of kept) {
      const regs = new Uint8Array(REACH_REGISTERS);
      mergeRegs(regs, r.regs);
      const old = held.get(`${r.flag}\n${r.stage}\n${r.day}`);
      if (old) mergeRegs(regs, old);
      await trx
        .insertInto('flag_reach')
        .values({ environment: env, flag: r.flag, stage: r.stage, day: r.day, regs: Buffer.from(regs) })
        .onConflict((oc) => oc.columns(['environment', 'flag', 'stage', 'day']).doUpdateSet({ regs: Buffer.from(regs) }))
        .execute();
    }
    return kept.length;
  });
}

/** One flag's registers merged per stage over the days from `sinceDay` (inclusive) if given. */
export async function reachOf(db: Db, env: string, flag: string, sinceDay?: string): Promise<Map<number, Uint8Array>> {
  let q = db.selectFrom('flag_reach').select(['stage', 'regs']).where('environment', '=', env).where('flag', '=', flag);
  if (sinceDay) q = q.where('day', '>=', sinceDay);
  const out = new Map<number, Uint8Array>();
  for (const r of await q.execute()) {
    let regs = out.get(r.stage);
    if (!regs) out.set(r.stage, (regs = new Uint8Array(REACH_REGISTERS)));
    mergeRegs(regs, r.regs);
  }
  return out;
}

/** Deletes up to `batch` reach rows of UTC days before `cutoff` (retention). */
export function pruneReach(storage: Pick<StorageLane, 'deleteOldest'>, db: Db, cutoff: string, batch: number): Promise<number> {
  return storage.deleteOldest(db, 'flag_reach', 'day', cutoff, batch);
}
