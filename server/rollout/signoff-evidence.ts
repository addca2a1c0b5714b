import { AuditAction, type SignoffSnapshot } from '@switchyard-flags/sdk/api';
import type { Actor } from '../actor.js';
import type { Clock } from '../clock.js';
import type { Db } from '../storage/schema.js';
import { getFlagRow, getFlagRows } from '../flags/flag-store.js';
import { stageStart, type FlagRow } from '../flags/flag-view.js';
import { stageStats } from '../samples/sample-aggregate-store.js';
import { write, type WriteDeps } from '../unit-of-work.js';
import { judge, type Judgement } from './metric-check.js';
import { storedPlan } from './plan-schema.js';
import { lapseSignoff, liveSignoffs, toSignoff, type SignoffRow } from './plan-store.js';

/**
 * Sign-offs bound to the evidence: a sign-off records the gate snapshot the PM saw (each check of
 * the next stage with its outcome, estimate, interval and n, and the plan version) and covers the
 * checks that were `pass` then. When a later evaluation moves a covered check out of pass, the
 * sign-off lapses by itself (audited as `signoff.lapse` by the system) and no longer counts.
 */

/** Judges the checks of the stage an advance would enter, on the current stage run's aggregates. */
export async function judgeNextStage(db: Db, row: FlagRow): Promise<Judgement[]> {
  const stage = storedPlan(row.plan)?.stages[row.stage];
  if (!stage || stage.checks.length === 0) return [];
  const stats = await stageStats(db, { environment: row.environment, flag: row.key, stage: row.stage, since: stageStart(row) }, [...new Set(stage.checks.map((c) => c.metric))]);
  return stage.checks.map((c) => judge(c, stats));
}

export function snapshotOf(planVersion: number, judged: Judgement[]): SignoffSnapshot {
  return { planVersion, checks: judged.map((j) => ({ metric: j.metric, outcome: j.outcome, estimate: j.estimate, interval: j.interval, n: j.n })) };
}

/** "10:02" (UTC), as the gate says when a sign-off lapsed. */
function clockTime(iso: string): string {
  return iso.slice(11, 16);
}

/** The first check a sign-off covered (pass in its snapshot) that is no longer pass, if any. */
export function lapseOf(s: SignoffRow, judged: Judgement[]): Judgement | null {
  if (s.snapshot === null) return null;
  const snap = JSON.parse(s.snapshot) as SignoffSnapshot;
  // Check i of the snapshot is check i of the stage: plan edits void sign-offs, so the list is the same.
  for (const [i, seen] of snap.checks.entries()) {
    const now = judged[i];
    if (seen.outcome === 'pass' && now && now.metric === seen.metric && now.outcome !== 'pass') return now;
  }
  return null;
}

const SYSTEM: Omit<Actor, 'requestId'> = { sub: 'system:gates', role: 'system' };

export class SignoffLapses {
  constructor(private readonly deps: WriteDeps & { clock: Clock }) {}

  /** Lapses the live sign-offs of each flag's next stage whose covered checks moved out of pass. */
  async evaluate(env: string, keys: Iterable<string>, requestId: string | null): Promise<number> {
    let n = 0;
    const unique = [...new Set(keys)];
    // One read of the flags' rows, then the cheap per-flag reads only for flags with a plan.
    const rows = await getFlagRows(this.deps.db, env, unique);
    for (const key of unique) n += await this.evaluateFlag(env, key, rows.get(key), requestId);
    return n;
  }

  private async evaluateFlag(env: string, key: string, row: FlagRow | undefined, requestId: string | null): Promise<number> {
    // A cheap read first: most batches move no covered check, and then nothing is written.
    if ((await this.due(this.deps.db, env, key, row)).length === 0) return 0;
    return write(this.deps, { ...SYSTEM, requestId }, async (ctx) => {
      let lapsed = 0;
      const at = this.deps.clock().toISOString();
      for (const { signoff, check } of await this.due(ctx.trx, env, key)) {
        const reason = `sign-off by ${signoff.actor} lapsed: ${check.metric} turned ${check.outcome} at ${clockTime(at)}`;
        if (!(await lapseSignoff(ctx.trx, signoff.id, { at, reason, metric: check.metric, outcome: check.outcome }))) continue;
        const { reason: why, ...figures } = check;
        await ctx.record({
          action: AuditAction.SignoffLapse,
          flag: key,
          before: { signoff: toSignoff(signoff) },
          after: { signoff: { ...toSignoff(signoff), lapsedAt: at, lapseReason: reason }, check: { ...figures, detail: why } },
          reason,
          environment: env,
        });
        lapsed++;
      }
      return lapsed;
    });
  }

  /** `read`: the flag's row as already read (in the transaction that lapses, it is read again). */
  private async due(db: Db, env: string, key: string, read?: FlagRow): Promise<Array<{ signoff: SignoffRow; check: Judgement }>> {
    const row = read ?? (await getFlagRow(db, env, key));
    if (!row || row.plan_version === 0) return [];
    const live = (await liveSignoffs(db, env, key, row.plan_version, row.stage + 1)).filter((s) => s.snapshot !== null);
    if (live.length === 0) return [];
    const judged = await judgeNextStage(db, row);
    return live.flatMap((signoff) => {
      const check = lapseOf(signoff, judged);
      return check ? [{ signoff, check }] : [];
    });
  }
}
