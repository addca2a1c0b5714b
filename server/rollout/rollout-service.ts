import { AuditAction, type GatesView, type FlagView, type Gate } from '@switchyard-flags/sdk/api';
import { evaluate } from '@switchyard-flags/sdk/evaluate';
import type { Evaluation, EvaluationContext } from '@switchyard-flags/sdk/protocol';
import type { Actor } from '../actor.js';
import { Conflict, Forbidden, GateNotMet, ValidationError } from '../errors.js';
import { signoffRequired } from '../environments/environment-store.js';
import { mutateFlag, type FlagMutation, type FlagMutationDeps } from '../flags/flag-mutation.js';
import { liveFlagRow, type FlagPatch } from '../flags/flag-store.js';
import { envOr, type EnvDeps } from '../environments/default-environment.js';
import { stagePercent, toFlagState } from '../flags/flag-view.js';
import { loadGates, SIGNOFF_WAIVED, type ConvergencePort } from './gate-loader.js';
import { CAN } from '@switchyard-flags/sdk/api';

/** Who may advance wherever the gates hold (CAN.advance); engineers only where sign-offs are waived. */
const ADVANCERS: readonly string[] = [...CAN.advance, 'system'];
import { summarize } from './gates.js';
import { storedPlan } from './plan-schema.js';
import { voidSignoffs } from './plan-store.js';

/**
 * The pause columns of the flags row, set (who, when, why) or, with null, cleared: written only
 * here, by a pause, a resume and a guardrail trip that pauses.
 */
export function pauseColumns(pause: { by: string; at: string; reason: string } | null): FlagPatch {
  return pause ? { paused: 1, paused_by: pause.by, paused_at: pause.at, pause_reason: pause.reason } : { paused: 0, paused_by: null, paused_at: null, pause_reason: null };
}

export interface StageResult {
  flag: FlagView;
  stage: number;
  percent: number;
  changed: boolean;
  gates?: Gate[];
}

export interface PreviewResult extends Evaluation {
  flag: string;
  stage: number;
  percent: number;
  context: EvaluationContext;
}

/** Advance (gated), rollback, pause and resume (never gated), gate reports and previews. */
export interface RolloutPorts {
  /** Connected SDKs and who applied a flag's state (the push tracker, wired in services.ts). */
  convergence?: ConvergencePort;
  /** Lapses sign-offs whose covered checks moved out of pass (signoff-evidence.ts). */
  lapses?: { evaluate(env: string, keys: Iterable<string>, requestId: string | null): Promise<number> };
}

export class RolloutService {
  constructor(
    private readonly deps: FlagMutationDeps & EnvDeps,
    private readonly ports: RolloutPorts = {},
  ) {}

  async gates(key: string, scope?: string): Promise<GatesView> {
    const env = envOr(this.deps, scope);
    // Reading the gates evaluates lapses too: a sign-off never shows as counting on evidence that moved.
    await liveFlagRow(this.deps.db, env, key);
    await this.ports.lapses?.evaluate(env, [key], null);
    const row = await liveFlagRow(this.deps.db, env, key);
    const { plan, ...g } = await loadGates(this.deps.db, row, this.deps.clock(), this.ports.convergence);
    const view: GatesView = {
      flag: key,
      stage: row.stage,
      percent: stagePercent(plan, row.stage),
      planVersion: row.plan_version,
      flagVersion: row.version,
      ...g,
    };
    if (!plan) view.note = `flag "${key}" has no rollout plan yet`;
    else if (g.nextStage === null) view.note = `flag "${key}" is at its last stage (${row.stage}, ${view.percent}%)`;
    return view;
  }

  /**
   * Moves exactly one stage up when every gate holds, judged inside the transaction on the row
   * as it is then: of two simultaneous advances, the second sees the new stage and its gates.
   */
  async advance(actor: Actor, key: string, opts: { reason?: string; version?: number; toStage?: number; auto?: boolean } = {}, scope?: string): Promise<StageResult> {
    const env = envOr(this.deps, scope);
    let gates: Gate[] = [];
    const m: FlagMutation = {
      env,
      key,
      action: AuditAction.RolloutAdvance,
      reason: opts.reason ?? null,
      expectedVersion: opts.version,
      change: async (row, ctx, now) => {
        const g = await loadGates(ctx.trx, row, now, this.ports.convergence);
        if (!g.plan) throw new Conflict('no_plan', `flag "${key}" has no rollout plan; PUT /api/flags/${key}/plan first`);
        if (g.nextStage === null) throw new Conflict('rollout_complete', `flag "${key}" is already at its last stage (${row.stage}, 100%)`);
        if (opts.toStage !== undefined && opts.toStage !== g.nextStage) {
          throw new Conflict('stage_conflict', `flag "${key}" is at stage ${row.stage}: an advance now goes to stage ${g.nextStage}, not ${opts.toStage}`, {
            expected: opts.toStage,
            actual: g.nextStage,
          });
        }
        // Who may advance depends on the environment: engineers only where sign-offs are waived.
        const required = await signoffRequired(ctx.trx, env);
        if (!ADVANCERS.includes(actor.role) && required) {
          throw new Forbidden(`a ${actor.role} may advance only in an unprotected environment set to requireSignoff: false; "${env}" is not`);
        }
        gates = g.gates;
        if (!g.ready) {
          throw new GateNotMet(`cannot advance flag "${key}" to stage ${g.nextStage} (${g.nextPercent}%): ${summarize(g.gates)}`, g.gates);
        }
        // Advanced without the sign-offs the plan asks for: the audit names the rule that allowed it.
        const waived = !required && g.gates.some((x) => x.gate === 'signoff' && x.detail.startsWith('not required in'));
        m.auditAfterExtra = { gates, ...(opts.auto ? { auto: true } : {}), ...(waived ? { signoffWaived: { environment: env, rule: SIGNOFF_WAIVED } } : {}) };
        return { stage: g.nextStage, stage_started_at: now.toISOString() };
      },
    };
    const r = await mutateFlag(this.deps, actor, m);
    return { flag: r.flag, stage: r.flag.stage, percent: r.flag.percent, changed: r.changed, gates };
  }

  /** Goes back to `toStage` (default: the previous stage). Never gated. Sign-offs above it are voided. */
  async rollback(actor: Actor, key: string, opts: { reason: string; version?: number; toStage?: number }, scope?: string): Promise<StageResult> {
    const env = envOr(this.deps, scope);
    const m: FlagMutation = {
      env,
      key,
      action: AuditAction.RolloutRollback,
      reason: opts.reason,
      expectedVersion: opts.version,
      urgent: true,
      change: async (row, ctx, now) => {
        const to = opts.toStage ?? Math.max(0, row.stage - 1);
        if (to > row.stage) {
          throw new ValidationError(`toStage ${to} is above the current stage ${row.stage}: a rollback only goes back (use advance to go forward)`, [
            { path: 'toStage', message: `must be at most ${row.stage}` },
          ]);
        }
        if (to === row.stage) return null;
        const at = now.toISOString();
        const voided = await voidSignoffs(ctx.trx, env, key, { planVersion: row.plan_version, aboveStage: to }, at, `rollback to stage ${to}`);
        m.auditAfterExtra = { voidedSignoffs: voided };
        return { stage: to, stage_started_at: at };
      },
    };
    const r = await mutateFlag(this.deps, actor, m);
    return { flag: r.flag, stage: r.flag.stage, percent: r.flag.percent, changed: r.changed };
  }

  /** Stops advances (manual and automatic); users keep getting the current stage. Never gated. */
  async pause(actor: Actor, key: string, opts: { reason: string; version?: number }, scope?: string): Promise<StageResult> {
    const r = await mutateFlag(this.deps, actor, {
      env: envOr(this.deps, scope),
      key,
      action: AuditAction.RolloutPause,
      reason: opts.reason,
      expectedVersion: opts.version,
      urgent: true,
      change: (row, _ctx, now) => (row.paused === 1 ? null : pauseColumns({ by: actor.sub, at: now.toISOString(), reason: opts.reason })),
    });
    return { flag: r.flag, stage: r.flag.stage, percent: r.flag.percent, changed: r.changed };
  }

  async resume(actor: Actor, key: string, opts: { reason: string; version?: number }, scope?: string): Promise<StageResult> {
    const r = await mutateFlag(this.deps, actor, {
      env: envOr(this.deps, scope),
      key,
      action: AuditAction.RolloutResume,
      reason: opts.reason,
      expectedVersion: opts.version,
      change: (row) => (row.paused === 0 ? null : pauseColumns(null)),
    });
    return { flag: r.flag, stage: r.flag.stage, percent: r.flag.percent, changed: r.changed };
  }

  /**
   * What a context gets from the flag as stored, through the SDK's own `evaluate()`; with
   * `atStage`, what it would get at that stage of the current plan.
   */
  async preview(key: string, context: EvaluationContext, atStage?: number, scope?: string): Promise<PreviewResult> {
    const row = await liveFlagRow(this.deps.db, envOr(this.deps, scope), key);
    const state = toFlagState(row);
    if (atStage !== undefined) {
      const plan = storedPlan(row.plan);
      const max = plan?.stages.length ?? 0;
      if (atStage > max) throw new ValidationError(`stage ${atStage} does not exist: the plan has ${max} stage(s)`, [{ path: 'stage', message: `must be at most ${max}` }], 'invalid_query');
      state.stage = atStage;
      state.percent = stagePercent(plan, atStage);
    }
    return { flag: key, stage: state.stage, percent: state.percent, context, ...evaluate(state, context) };
  }
}
