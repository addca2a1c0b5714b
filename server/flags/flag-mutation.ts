import type { FlagView } from '@switchyard-flags/sdk/api';
import type { Actor } from '../actor.js';
import type { Clock } from '../clock.js';
import { nextStateVersion } from '../meta-store.js';
import { NotFound, VersionConflict } from '../errors.js';
import { write, type WriteContext, type WriteDeps } from '../unit-of-work.js';
import { getFlagRow, splitShared, updateFlagRow, updateSharedColumns, type FlagPatch, type KillPatch } from './flag-store.js';
import { toFlagView, type FlagRow } from './flag-view.js';

export interface FlagMutationDeps extends WriteDeps {
  clock: Clock;
}

export interface FlagMutation {
  /** The environment whose row changes (shared columns in the patch change in every environment). */
  env: string;
  key: string;
  /** Dotted audit action, e.g. `flag.kill`. */
  action: string;
  reason?: string | null;
  /** The flag version the caller saw; a stale one is a 409 and nothing changes. */
  expectedVersion?: number;
  /** Archived flags are invisible to every mutation except those that say otherwise. */
  allowArchived?: boolean;
  /**
   * Decides the change from the current row: the columns to set, or null for "nothing to do"
   * (no version bump, no audit entry). It may throw an AppError, and may write other tables
   * through `ctx.trx` (they commit or roll back with the flag).
   */
  change(row: FlagRow, ctx: WriteContext, now: Date): Promise<FlagPatch | KillPatch | null> | FlagPatch | KillPatch | null;
  /** A safety action (kill, restore, rollback, pause, guardrail trip): goes ahead of queued writes. */
  urgent?: boolean;
  /** Extra fields for the audit entry's `after`, e.g. the sample that tripped a guardrail. */
  auditAfterExtra?: Record<string, unknown>;
}

export interface FlagMutationResult {
  flag: FlagView;
  changed: boolean;
  auditSeq?: number;
}

/**
 * The one way a flag changes: load, check the caller's version, apply, bump the flag version
 * and the global state version, audit before/after, announce after commit.
 */
export async function mutateFlag(deps: FlagMutationDeps, actor: Actor, m: FlagMutation): Promise<FlagMutationResult> {
  return write(deps, actor, (ctx) => applyFlagMutation(ctx, deps.clock, actor, m), { urgent: m.urgent });
}

/** The same, inside a transaction the caller already holds (bulk kills change many flags at once). */
export async function applyFlagMutation(ctx: WriteContext, clock: Clock, actor: Actor, m: FlagMutation): Promise<FlagMutationResult> {
  const row = await getFlagRow(ctx.trx, m.env, m.key);
  if (!row || (row.archived === 1 && !m.allowArchived)) throw new NotFound(`flag "${m.key}" does not exist`);
  if (m.expectedVersion !== undefined && m.expectedVersion !== row.version) {
    throw new VersionConflict(m.key, m.expectedVersion, row.version);
  }
  const now = clock();
  const patch = await m.change(row, ctx, now);
  if (patch === null) return { flag: toFlagView(row), changed: false };
  const stateVersion = await nextStateVersion(ctx.trx);
  const next: FlagRow = {
    ...row,
    ...(patch as Partial<FlagRow>),
    version: row.version + 1,
    state_version: stateVersion,
    updated_at: now.toISOString(),
    updated_by: actor.sub,
  };
  // The flag's own columns go to every environment's row through their one writer; the rest to this one.
  const { shared } = splitShared(patch as Partial<FlagRow>);
  const { shared: _shared, own } = splitShared(next);
  const { environment: _env, key: _key, ...ownColumns } = own;
  const ok = await updateFlagRow(ctx.trx, m.env, m.key, row.version, ownColumns);
  if (!ok) throw new VersionConflict(m.key, row.version, row.version + 1);
  await updateSharedColumns(ctx.trx, m.key, shared, stateVersion);
  const before = toFlagView(row);
  const after = toFlagView(next);
  const entry = await ctx.record({
    action: m.action,
    flag: m.key,
    before,
    after: m.auditAfterExtra ? { ...after, ...m.auditAfterExtra } : after,
    reason: m.reason ?? null,
    environment: m.env,
  });
  ctx.announce({ type: 'flag', key: m.key, stateVersion, flagVersion: next.version, action: m.action, environment: m.env });
  return { flag: after, changed: true, auditSeq: entry.seq };
}
