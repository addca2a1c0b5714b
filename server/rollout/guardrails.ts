import { AuditAction } from '@switchyard-flags/sdk/api';
import type { Actor } from '../actor.js';
import { mutateFlag, type FlagMutationDeps } from '../flags/flag-mutation.js';
import { getFlagRows } from '../flags/flag-store.js';
import { killFlag, newKillId } from '../killswitch/kill-service.js';
import { stageStart, type FlagRow } from '../flags/flag-view.js';
import { compare, fmt } from './gates.js';
import { isRelative, storedPlan, type Check } from './plan-schema.js';
import { pauseColumns } from './rollout-service.js';
import { stageStats } from '../samples/sample-aggregate-store.js';
import type { AggregateStats } from '../samples/sample-aggregate-store.js';
import type { JudgedSample, Sample, Trip, TripEvidence } from '../samples/sample-types.js';
import { judge } from './metric-check.js';

/**
 * Watches the guardrail checks of each flag's current stage after every batch of samples. A
 * guardrail trips when its check is in *breach* on the stage's evidence (the confidence sequence
 * of metric-check.ts, the same judgement as the gate), not on one unlucky sample; a check with
 * `tripOnAny: true` (a hard cap such as cost per day) trips on any single sample that breaks it.
 * Pausing or killing is the fast, safe reaction; rolling forward again is gated.
 */
export class Guardrails {
  constructor(private readonly deps: FlagMutationDeps) {}

  /** Checks fresh samples (in the order received) and trips what they breach. */
  async check(env: string, samples: JudgedSample[], requestId: string | null): Promise<Trip[]> {
    const byFlag = new Map<string, JudgedSample[]>();
    for (const s of samples) {
      const list = byFlag.get(s.flag);
      if (list) list.push(s);
      else byFlag.set(s.flag, [s]);
    }
    // The flags' rows in one read after the samples committed (not one per flag).
    const rows = await getFlagRows(this.deps.db, env, [...byFlag.keys()]);
    const trips: Trip[] = [];
    for (const [key, list] of byFlag) trips.push(...(await this.checkFlag(rows.get(key), list, requestId)));
    return trips;
  }

  private async checkFlag(row: FlagRow | undefined, samples: JudgedSample[], requestId: string | null): Promise<Trip[]> {
    if (!row || row.killed === 1 || row.stage === 0) return [];
    const stage = storedPlan(row.plan)?.stages[row.stage - 1];
    const guards = stage?.checks.filter((c) => c.guardrail) ?? [];
    if (guards.length === 0) return [];
    const since = stageStart(row);
    // Freshness is the server's: a sample counts as measured when it was received unless its
    // `at` is older than the clock tolerance, and one measured before the stage began never counts.
    const fresh = samples.filter((s) => s.measuredAt >= since);
    if (fresh.length === 0) return [];
    let stats: AggregateStats | undefined;
    let paused = row.paused === 1;
    const trips: Trip[] = [];
    for (const check of guards) {
      const effect = check.onBreach ?? 'pause';
      if (effect === 'pause' && paused) continue;
      const mine = fresh.filter((s) => s.metric === check.metric);
      if (mine.length === 0) continue;
      let trip: Trip | null = null;
      if (check.tripOnAny) {
        trip = await this.tripOnAny(row, check, effect, mine, since, requestId);
      } else {
        stats ??= await stageStats(this.deps.db, { environment: row.environment, flag: row.key, stage: row.stage, since }, guards.map((g) => g.metric));
        const j = judge(check, stats);
        if (j.outcome !== 'breach') continue;
        const evidence: TripEvidence = { outcome: 'breach', estimate: j.estimate, interval: j.interval, n: j.n, ...(j.controlN !== undefined ? { controlN: j.controlN } : {}), confidence: j.confidence };
        trip = await this.trip(row, check, effect, { evidence }, `${check.metric} breach: ${j.reason}`, requestId);
      }
      if (trip) trips.push(trip);
      if (trip && effect === 'kill') return trips;
      if (trip) paused = true;
    }
    return trips;
  }

  /** A hard cap: the first fresh treatment sample (an aggregate by its mean) that breaks it trips it. */
  private async tripOnAny(row: FlagRow, check: Check, effect: 'pause' | 'kill', samples: JudgedSample[], since: string, requestId: string | null): Promise<Trip | null> {
    let controlMean: number | undefined;
    if (isRelative(check) && check.baseline === undefined) {
      const stats = await stageStats(this.deps.db, { environment: row.environment, flag: row.key, stage: row.stage, since }, [check.metric]);
      controlMean = stats.get(check.metric)?.control?.mean;
    }
    for (const { measuredAt: _m, ...sample } of samples) {
      if (sample.cohort !== 'treatment') continue;
      const breach = breached(check, sample.value, controlMean);
      if (breach) return this.trip(row, check, effect, { sample }, breach, requestId);
    }
    return null;
  }

  private async trip(row: FlagRow, check: Check, effect: 'pause' | 'kill', on: { sample?: Sample; evidence?: TripEvidence }, detail: string, requestId: string | null): Promise<Trip | null> {
    const actor: Actor = { sub: 'system:guardrail', role: 'system', requestId };
    const killId = effect === 'kill' ? newKillId() : null;
    const reason = `guardrail tripped at stage ${row.stage}: ${detail}; ${effect === 'kill' ? 'flag killed' : 'rollout paused'}`;
    const r = await mutateFlag(this.deps, actor, {
      env: row.environment,
      key: row.key,
      action: AuditAction.RolloutGuardrailTrip,
      reason,
      urgent: true,
      change: async (cur, ctx, now) => {
        // The flag moved on since the sample was judged: that stage's guardrails no longer apply.
        if (cur.stage !== row.stage || cur.plan_version !== row.plan_version || cur.killed === 1) return null;
        if (effect === 'kill' && killId) return killFlag(ctx, row.environment, row.key, { killId, by: actor.sub, reason, at: now });
        return cur.paused === 1 ? null : pauseColumns({ by: actor.sub, at: now.toISOString(), reason });
      },
      auditAfterExtra: { guardrail: { effect, stage: row.stage, check, ...on, detail } },
    });
    if (!r.changed) return null;
    return { flag: row.key, metric: check.metric, effect, detail, ...on, auditSeq: r.auditSeq, ...(killId ? { killId } : {}) };
  }
}

/** Why one value breaches a check, or null if it does not. */
export function breached(check: Check, value: number, controlMean: number | undefined): string | null {
  if (!isRelative(check)) {
    return compare(value, check.op, check.threshold) ? null : `${check.metric} ${fmt(value)} breaks the limit ${check.op} ${fmt(check.threshold)}`;
  }
  const baseline = check.baseline ?? controlMean;
  if (baseline === undefined || !(baseline > 0)) return null; // nothing to compare with: the gate reports it
  const drop = ((baseline - value) / baseline) * 100;
  return drop > check.maxDropPct + 1e-9 ? `${check.metric} ${fmt(value)} is ${drop.toFixed(1)}% below baseline ${fmt(baseline)}, limit ${fmt(check.maxDropPct)}%` : null;
}
