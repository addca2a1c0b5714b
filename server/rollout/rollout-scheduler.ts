import { listEnvironmentRows } from '../environments/environment-store.js';
import { AuditAction, type Gate } from '@switchyard-flags/sdk/api';
import { lastAuditAfter } from '../audit/audit-store.js';
import type { Actor } from '../actor.js';
import { GateNotMet, VersionConflict } from '../errors.js';
import type { FlagMutationDeps } from '../flags/flag-mutation.js';
import { listFlagRows } from '../flags/flag-store.js';
import type { FlagRow } from '../flags/flag-view.js';
import type { Logger } from '../log.js';
import { write } from '../unit-of-work.js';
import { summarize } from './gates.js';
import { storedPlan } from './plan-schema.js';
import type { RolloutService } from './rollout-service.js';

export const SCHEDULER_ACTOR: Actor = { sub: 'system:scheduler', role: 'system', requestId: null };

export interface TickResult {
  advanced: string[];
  blocked: Array<{ flag: string; gates: Gate[]; recorded: boolean }>;
}

/**
 * Auto-advance: a flag whose next stage has `autoAdvance` and whose planned date (if any) has
 * come is advanced by the server itself once every gate holds, sign-offs included. A blocked
 * attempt is audited as `rollout.auto_advance_blocked`, only when the blocking gates change.
 * The `auto_advance` job (server/server-jobs.ts) calls `tick()`; tests call it with their own clock.
 */
export class RolloutScheduler {
  constructor(
    private readonly deps: FlagMutationDeps & { log: Logger },
    private readonly rollouts: RolloutService,
  ) {}

  async tick(): Promise<TickResult> {
    const now = this.deps.clock();
    const result: TickResult = { advanced: [], blocked: [] };
    // Every environment's flags: each environment's plan auto-advances on its own gates.
    const rows = [];
    for (const env of await listEnvironmentRows(this.deps.db, false)) rows.push(...(await listFlagRows(this.deps.db, env.key)));
    for (const row of rows) {
      const next = storedPlan(row.plan)?.stages[row.stage];
      if (!next?.autoAdvance) continue;
      if (next.plannedAt && Date.parse(next.plannedAt) > now.getTime()) continue;
      try {
        const reason = next.plannedAt ? `auto-advance: planned date ${next.plannedAt} reached and every gate holds` : 'auto-advance: every gate holds';
        await this.rollouts.advance(SCHEDULER_ACTOR, row.key, { reason, version: row.version, toStage: row.stage + 1, auto: true }, row.environment);
        result.advanced.push(row.key);
      } catch (err) {
        if (err instanceof GateNotMet) {
          const gates = (err.details as { gates: Gate[] }).gates;
          result.blocked.push({ flag: row.key, gates, recorded: await this.recordBlocked(row, gates) });
        } else if (!(err instanceof VersionConflict)) {
          // A version conflict means someone changed the flag meanwhile: the next tick looks again.
          this.deps.log.error({ err, flag: row.key }, 'auto-advance failed');
        }
      }
    }
    return result;
  }

  /** Audits why an auto-advance is blocked, unless the last such entry said the same. */
  private async recordBlocked(row: FlagRow, gates: Gate[]): Promise<boolean> {
    const blockedBy = gates.filter((g) => !g.ok).map((g) => (g.metric ? `${g.gate}:${g.metric}` : g.gate));
    const blockKey = JSON.stringify({ stage: row.stage, planVersion: row.plan_version, blockedBy });
    const lastAfter = await lastAuditAfter(this.deps.db, row.environment, row.key, AuditAction.RolloutAutoAdvanceBlocked);
    if (lastAfter && (JSON.parse(lastAfter) as { blockKey?: string }).blockKey === blockKey) return false;
    await write(this.deps, SCHEDULER_ACTOR, (ctx) =>
      ctx.record({
        action: AuditAction.RolloutAutoAdvanceBlocked,
        flag: row.key,
        before: null,
        after: { stage: row.stage, nextStage: row.stage + 1, planVersion: row.plan_version, blockedBy, blockKey, gates },
        reason: `auto-advance to stage ${row.stage + 1} blocked: ${summarize(gates)}`,
        environment: row.environment,
      }),
    );
    return true;
  }
}
