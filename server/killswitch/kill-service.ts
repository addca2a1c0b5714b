import { AuditAction, type FlagView } from '@switchyard-flags/sdk/api';
import { randomUUID } from 'node:crypto';
import type { Actor } from '../actor.js';
import { NotFound } from '../errors.js';
import { applyFlagMutation, mutateFlag, type FlagMutation, type FlagMutationDeps } from '../flags/flag-mutation.js';
import { flagRowsKilledWith, getFlagRow, killColumns, listFlagRows, type KillPatch } from '../flags/flag-store.js';
import type { FlagRow } from '../flags/flag-view.js';
import { write, type WriteContext } from '../unit-of-work.js';
import { envOr, type EnvDeps } from '../environments/default-environment.js';
import { flagsEverKilledWith, recordKillMember } from './kill-store.js';

export type KillScope = { tag: string } | { all: true };

/** A new kill's id: one per kill request, stored on every flag that request killed. */
export const newKillId = (): string => randomUUID();

/**
 * Kills one flag inside the caller's transaction: records it as a member of `killId` and returns
 * the kill columns to set. Every kill goes through here: the kill switch's and a guardrail trip's.
 */
export async function killFlag(ctx: WriteContext, env: string, key: string, kill: { killId: string; by: string; reason: string; at: Date }): Promise<KillPatch> {
  await recordKillMember(ctx.trx, env, kill.killId, key);
  return killColumns({ by: kill.by, at: kill.at.toISOString(), reason: kill.reason, killId: kill.killId });
}

export interface BulkResult {
  /** Flags this call changed. */
  changed: string[];
  /** Flags in scope that were already in the requested state. */
  unchanged: string[];
  /** The global state version of each changed flag's change (what SDKs acknowledge). */
  stateVersions: Record<string, number>;
}

export interface BulkKillOutcome extends BulkResult {
  /** The id stored on every flag in `changed`; null when nothing was killed. */
  killId: string | null;
}

export interface KillRestoreOutcome extends BulkResult {
  /** Flags of the kill that were restored since and killed again by a later kill: left killed. */
  notThisKill: string[];
}

/**
 * Kill and restore. Never gated by plans, gates or pauses: safety actions always work.
 * Killing a killed flag (or restoring a live one) changes nothing and is not an error,
 * so an on-call script can be re-run safely. A killed flag keeps the id of the kill that
 * killed it; a later kill that finds it killed leaves it (and its id) alone.
 */
export class KillService {
  constructor(private readonly deps: FlagMutationDeps & EnvDeps) {}

  private killMutation(env: string, actor: Actor, key: string, reason: string, killId: string, expectedVersion?: number): FlagMutation {
    return {
      env,
      key,
      action: AuditAction.FlagKill,
      reason,
      expectedVersion,
      urgent: true,
      change: async (row, ctx, now) => {
        if (row.killed === 1) return null;
        return killFlag(ctx, env, key, { killId, by: actor.sub, reason, at: now });
      },
    };
  }

  /** With `killId`, restores the flag only while that kill is the one holding it. */
  private restoreMutation(env: string, key: string, reason: string, expectedVersion?: number, killId?: string): FlagMutation {
    return {
      env,
      key,
      action: AuditAction.FlagRestore,
      reason,
      expectedVersion,
      urgent: true,
      // Restoring clears only the kill: stage, plan and pause stay as they were.
      change: (row) =>
        row.killed === 0 || (killId !== undefined && row.kill_id !== killId)
          ? null
          : killColumns(null),
    };
  }

  /** In `env` only (DEFAULT_ENVIRONMENT when not given): the flag's state in other environments is untouched. */
  async kill(actor: Actor, key: string, reason: string, expectedVersion?: number, env?: string): Promise<{ flag: FlagView; changed: boolean }> {
    return mutateFlag(this.deps, actor, this.killMutation(envOr(this.deps, env), actor, key, reason, newKillId(), expectedVersion));
  }

  async restore(actor: Actor, key: string, reason: string, expectedVersion?: number, env?: string): Promise<{ flag: FlagView; changed: boolean }> {
    return mutateFlag(this.deps, actor, this.restoreMutation(envOr(this.deps, env), key, reason, expectedVersion));
  }

  /** Kills every live flag in scope under one new kill id, all in one transaction: either all are killed or none. */
  async killMany(actor: Actor, scope: KillScope, reason: string, env?: string): Promise<BulkKillOutcome> {
    const killId = newKillId();
    const e = envOr(this.deps, env);
    const result = await this.bulk(actor, e, scope, (key) => this.killMutation(e, actor, key, reason, killId));
    return { ...result, killId: result.changed.length ? killId : null };
  }

  /**
   * One kill across environments (issue 23): every live flag in scope in each of `envs`, under
   * one kill id, in ONE transaction: either every environment's flags are killed or none. Each
   * flag's kill is audited in its environment.
   */
  async killAcross(actor: Actor, scope: KillScope, reason: string, envs: readonly string[]): Promise<{ killId: string | null; byEnvironment: Record<string, BulkResult> }> {
    const killId = newKillId();
    const byEnvironment: Record<string, BulkResult> = {};
    await write(
      this.deps,
      actor,
      async (ctx) => {
        for (const env of envs) {
          const rows = await listFlagRows(ctx.trx, env, 'tag' in scope ? { tag: scope.tag } : {});
          const result: BulkResult = { changed: [], unchanged: [], stateVersions: {} };
          await this.applyAll(ctx, actor, rows, (key) => this.killMutation(env, actor, key, reason, killId), result);
          byEnvironment[env] = result;
        }
      },
      { urgent: true },
    );
    const any = Object.values(byEnvironment).some((r) => r.changed.length > 0);
    return { killId: any ? killId : null, byEnvironment };
  }

  async restoreMany(actor: Actor, scope: KillScope, reason: string, env?: string): Promise<BulkResult> {
    const e = envOr(this.deps, env);
    return this.bulk(actor, e, scope, (key) => this.restoreMutation(e, key, reason));
  }

  /**
   * Undoes exactly one kill: restores the flags still killed with `killId`. Flags of that kill
   * restored since are `unchanged`; those restored and killed again since are `notThisKill`.
   * An id no kill ever had is a 404, and nothing changes.
   */
  async restoreKill(actor: Actor, killId: string, reason: string, scope?: string | readonly string[]): Promise<KillRestoreOutcome> {
    // A kill across environments (killAcross) is undone in each of `scope` where it killed flags,
    // in one transaction; the lists name each flag once, the state versions are the default environment's.
    const envs = typeof scope === 'string' || scope === undefined ? [envOr(this.deps, scope)] : scope;
    const everKilled = new Map<string, string[]>();
    for (const env of envs) everKilled.set(env, await flagsEverKilledWith(this.deps.db, env, killId));
    return write(
      this.deps,
      actor,
      async (ctx) => {
        const merged: KillRestoreOutcome = { changed: [], unchanged: [], notThisKill: [], stateVersions: {} };
        let found = false;
        for (const env of envs) {
          const ever = everKilled.get(env) ?? [];
          const rows = await flagRowsKilledWith(ctx.trx, env, killId);
          if (rows.length || ever.length) found = true;
          const result: KillRestoreOutcome = { changed: [], unchanged: [], notThisKill: [], stateVersions: {} };
          await this.applyAll(ctx, actor, rows, (key) => this.restoreMutation(env, key, reason, undefined, killId), result);
          for (const key of ever.filter((k) => !rows.some((r) => r.key === k)).sort()) {
            const row = await getFlagRow(ctx.trx, env, key);
            if (!row || row.archived === 1) continue;
            (row.killed === 1 ? result.notThisKill : result.unchanged).push(key);
          }
          merged.changed.push(...result.changed);
          merged.unchanged.push(...result.unchanged);
          merged.notThisKill.push(...result.notThisKill);
          if (env === envOr(this.deps, undefined)) Object.assign(merged.stateVersions, result.stateVersions);
        }
        if (!found) throw new NotFound(`no kill has the id "${killId}"`);
        const changed = [...new Set(merged.changed)];
        const notThisKill = [...new Set(merged.notThisKill)].filter((k) => !changed.includes(k));
        const unchanged = [...new Set(merged.unchanged)].filter((k) => !changed.includes(k) && !notThisKill.includes(k));
        return { changed, unchanged, notThisKill, stateVersions: merged.stateVersions };
      },
      { urgent: true },
    );
  }

  private async bulk(actor: Actor, env: string, scope: KillScope, mutation: (key: string) => FlagMutation): Promise<BulkResult> {
    return write(
      this.deps,
      actor,
      async (ctx) => {
        const rows = await listFlagRows(ctx.trx, env, 'tag' in scope ? { tag: scope.tag } : {});
        const result: BulkResult = { changed: [], unchanged: [], stateVersions: {} };
        await this.applyAll(ctx, actor, rows, mutation, result);
        return result;
      },
      { urgent: true },
    );
  }

  private async applyAll(ctx: WriteContext, actor: Actor, rows: FlagRow[], mutation: (key: string) => FlagMutation, result: BulkResult): Promise<void> {
    for (const row of rows) {
      const r = await applyFlagMutation(ctx, this.deps.clock, actor, mutation(row.key));
      (r.changed ? result.changed : result.unchanged).push(row.key);
      if (r.changed) result.stateVersions[row.key] = r.flag.stateVersion;
    }
  }
}
