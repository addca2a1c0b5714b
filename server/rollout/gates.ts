import type { Gate, LapsedSignoff, Signoff } from '@switchyard-flags/sdk/api';
import { stageStart, type FlagRow } from '../flags/flag-view.js';
import type { AggregateStats } from '../samples/sample-aggregate-store.js';
import { metricGate } from './metric-check.js';
import type { Comparison, Plan, Stage } from './plan-schema.js';

export interface GateInput {
  row: FlagRow;
  plan: Plan;
  now: Date;
  /** Live sign-offs of the current plan version for the next stage. */
  signers: string[];
  /** The same sign-offs with the snapshot each was given on. */
  signatures?: Signoff[];
  /** Sign-offs of the next stage that lapsed: they no longer count. */
  lapsed?: LapsedSignoff[];
  /** Connected SDKs and how many applied the flag's current state (the convergence port); absent: not known here. */
  convergence?: Convergence;
  /** Stats of the samples taken since the current stage began. */
  stats: AggregateStats;
  /** The next stage's `requirePrevious`, judged on the environment before this one (a port: rollout/ reads no other environment itself). */
  previous?: Gate | null;
}

/** `fmt(0.7912345)` = "0.7912": four significant digits, no trailing zeros. */
export function fmt(n: number): string {
  return String(Number(n.toPrecision(4)));
}

/** "2d3h", "3h12m", "12m", "40s". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.ceil(s / 60);
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const mm = m % 60;
  if (d > 0) return `${d}d${h}h`;
  return h > 0 ? `${h}h${mm}m` : `${mm}m`;
}

export function compare(value: number, op: Comparison, threshold: number): boolean {
  switch (op) {
    case '<=':
      return value <= threshold;
    case '<':
      return value < threshold;
    case '>=':
      return value >= threshold;
    case '>':
      return value > threshold;
  }
}

function stateGate(row: FlagRow): Gate | null {
  if (row.killed === 1) return { gate: 'state', ok: false, detail: `the flag is killed (${row.kill_reason ?? 'no reason'}); restore it before advancing` };
  if (row.paused === 1) {
    return { gate: 'state', ok: false, detail: `the rollout is paused by ${row.paused_by ?? 'someone'} (${row.pause_reason ?? 'no reason'}); resume it before advancing` };
  }
  return null;
}

export function signoffGate(row: FlagRow, stage: Stage, signers: string[], evidence: { signatures?: Signoff[]; lapsed?: LapsedSignoff[] } = {}): Gate {
  const distinct = [...new Set(signers)];
  const author = row.plan_author;
  const others = distinct.filter((s) => s !== author);
  const lapsed = evidence.lapsed ?? [];
  const signatures = (evidence.signatures ?? []).map((s) => ({ actor: s.actor, at: s.at, signoffId: s.id, snapshotId: s.snapshotId, snapshot: s.snapshot }));
  const base = { gate: 'signoff' as const, observed: distinct.length, threshold: stage.signoffs, signers: distinct, planVersion: row.plan_version, planAuthor: author, signatures, lapsed };
  const lapses = lapsed.map((l) => `; ${l.reason}`).join('');
  if (distinct.length < stage.signoffs) {
    const missing = stage.signoffs - distinct.length;
    return { ...base, ok: false, detail: `needs ${missing} more PM sign-off${missing === 1 ? '' : 's'} (${distinct.length} of ${stage.signoffs} for plan version ${row.plan_version})${lapses}` };
  }
  if (others.length === 0) {
    return {
      ...base,
      ok: false,
      detail: `needs a sign-off from a PM other than ${author}, who wrote plan version ${row.plan_version}: the author cannot be its only approver`,
    };
  }
  return { ...base, ok: true, detail: `${distinct.length} of ${stage.signoffs} PM sign-off${stage.signoffs === 1 ? '' : 's'} (${distinct.join(', ')})` };
}

/** What the push layer knows of one flag's current state (server/push/propagation.ts, through a port). */
export interface Convergence {
  stateVersion: number;
  connected: number;
  applied: number;
  /** The first connected SDKs that have not applied it (at most 50). */
  notApplied: Array<{ id: string; name?: string; replica?: string; stateVersion: number }>;
}

export const DEFAULT_MIN_APPLIED = 99;

/** Enough connected SDKs serve the current stage that its numbers are its own (`minApplied`%, default 99). */
export function convergenceGate(stage: Stage, c: Convergence): Gate {
  const minApplied = stage.minApplied ?? DEFAULT_MIN_APPLIED;
  const percentApplied = c.connected === 0 ? 100 : Math.floor((c.applied / c.connected) * 10_000) / 100;
  const base = { gate: 'convergence' as const, minApplied, applied: c.applied, connected: c.connected, percentApplied, stateVersion: c.stateVersion, notApplied: c.notApplied };
  if (c.connected === 0) return { ...base, ok: true, detail: 'no SDK is connected: nothing to wait for' };
  const ok = percentApplied >= minApplied;
  const what = `${c.applied} of ${c.connected} connected SDKs (${fmt(percentApplied)}%) applied state version ${c.stateVersion}`;
  return { ...base, ok, detail: ok ? `${what} (needs ${fmt(minApplied)}%)` : `only ${what}; needs ${fmt(minApplied)}% before the next stage` };
}

function soakGate(row: FlagRow, stage: Stage, now: Date): Gate | null {
  if (stage.soakMinutes === 0) return null;
  const base = { gate: 'soak' as const, threshold: stage.soakMinutes };
  if (row.stage === 0) return { ...base, ok: true, observed: null, detail: 'no soak before the first stage' };
  const since = Date.parse(stageStart(row));
  const soaked = (now.getTime() - since) / 60_000;
  const left = stage.soakMinutes * 60_000 - (now.getTime() - since);
  return left > 0
    ? { ...base, ok: false, observed: soaked, detail: `soak: ${duration(left)} left (needs ${duration(stage.soakMinutes * 60_000)} at stage ${row.stage})` }
    : { ...base, ok: true, observed: soaked, detail: `soaked ${duration(now.getTime() - since)} at stage ${row.stage} (needs ${duration(stage.soakMinutes * 60_000)})` };
}

function scheduleGate(stage: Stage, now: Date): Gate | null {
  if (!stage.plannedAt) return null;
  const left = Date.parse(stage.plannedAt) - now.getTime();
  return left > 0
    ? { gate: 'schedule', ok: false, plannedAt: stage.plannedAt, detail: `planned for ${stage.plannedAt}: ${duration(left)} left` }
    : { gate: 'schedule', ok: true, plannedAt: stage.plannedAt, detail: `planned date ${stage.plannedAt} reached` };
}

/** Every gate on entering the stage after the current one, in a fixed order. Pure. */
export function computeGates(input: GateInput): Gate[] {
  const { row, plan, now } = input;
  const stage = plan.stages[row.stage];
  if (!stage) return [];
  const gates: Gate[] = [];
  const state = stateGate(row);
  if (state) gates.push(state);
  gates.push(signoffGate(row, stage, input.signers, input));
  for (const c of stage.checks) gates.push(metricGate(c, input.stats));
  if (input.convergence && row.stage > 0) gates.push(convergenceGate(stage, input.convergence));
  const soak = soakGate(row, stage, now);
  if (soak) gates.push(soak);
  if (input.previous) gates.push(input.previous);
  const schedule = scheduleGate(stage, now);
  if (schedule) gates.push(schedule);
  return gates;
}

/** "signoff: needs 1 more PM sign-off; soak: 3h12m left". */
export function summarize(gates: Gate[]): string {
  return gates
    .filter((g) => !g.ok)
    .map((g) => (g.detail.startsWith(`${g.gate}:`) ? g.detail : `${g.gate}: ${g.detail}`))
    .join('; ');
}
