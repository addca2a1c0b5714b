import type { Actor } from '../auth/roles.js';
import { applyFlagMutation, mutateFlag, type FlagMutation, type FlagMutationDeps } from '../flags/flag-mutation.js';
import { listFlagRows } from '../flags/flag-store.js';
import type { FlagView } from '../flags/flag-view.js';
import { write } from '../unit-of-work.js';

export type KillScope = { tag: string } | { all: true };

export interface BulkResult {
  /** Flags this call changed. */
  changed: string[];
  /** Flags in scope that were already in the requested state. */
  unchanged: string[];
  /** The global state version of each changed flag's change (what SDKs acknowledge). */
  stateVersions: Record<string, number>;
}

/**
 * Kill and restore. Never gated by plans, gates or pauses: safety actions always work.
 * Killing a killed flag (or restoring a live one) changes nothing and is not an error,
 * so an on-call script can be re-run safely.
 */
export class KillService {
  constructor(private readonly deps: FlagMutationDeps) {}

  private killMutation(actor: Actor, key: string, reason: string, expectedVersion?: number): FlagMutation {
    return {
      key,
      action: 'flag.kill',
      reason,
      expectedVersion,
      urgent: true,
      change: (row, _ctx, now) =>
        row.killed === 1 ? null : { killed: 1, killed_by: actor.sub, killed_at: now.toISOString(), kill_reason: reason },
    };
  }

  private restoreMutation(key: string, reason: string, expectedVersion?: number): FlagMutation {
    return {
      key,
      action: 'flag.restore',
      reason,
      expectedVersion,
      urgent: true,
      // Restoring clears only the kill: stage, plan and pause stay as they were.
      change: (row) => (row.killed === 0 ? null : { killed: 0, killed_by: null, killed_at: null, kill_reason: null }),
    };
  }

  async kill(actor: Actor, key: string, reason: string, expectedVersion?: number): Promise<{ flag: FlagView; changed: boolean }> {
    return mutateFlag(this.deps, actor, this.killMutation(actor, key, reason, expectedVersion));
  }

  async restore(actor: Actor, key: string, reason: string, expectedVersion?: number): Promise<{ flag: FlagView; changed: boolean }> {
    return mutateFlag(this.deps, actor, this.restoreMutation(key, reason, expectedVersion));
  }

  /** Kills every live flag in scope, all in one transaction: either all are killed or none. */
  async killMany(actor: Actor, scope: KillScope, reason: string): Promise<BulkResult> {
    return this.bulk(actor, scope, (key) => this.killMutation(actor, key, reason));
  }

  async restoreMany(actor: Actor, scope: KillScope, reason: string): Promise<BulkResult> {
    return this.bulk(actor, scope, (key) => this.restoreMutation(key, reason));
  }

  private async bulk(actor: Actor, scope: KillScope, mutation: (key: string) => FlagMutation): Promise<BulkResult> {
    return write(
      this.deps,
      actor,
      async (ctx) => {
        const rows = await listFlagRows(ctx.trx, 'tag' in scope ? { tag: scope.tag } : {});
        const result: BulkResult = { changed: [], unchanged: [], stateVersions: {} };
        for (const row of rows) {
          const r = await applyFlagMutation(ctx, this.deps.clock, actor, mutation(row.key));
          (r.changed ? result.changed : result.unchanged).push(row.key);
          if (r.changed) result.stateVersions[row.key] = r.flag.stateVersion;
        }
        return result;
      },
      { urgent: true },
    );
  }
}
