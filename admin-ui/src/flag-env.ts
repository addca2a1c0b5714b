/**
 * A flag as seen in one environment. `GET /api/flags/:key` answers the flag's shared fields with
 * the default environment's state, and `environments: {<env>: {stage, percent, killed, paused,
 * planVersion}}` for every environment; the flag page of another environment shows that one's.
 */
import type { FlagEnvironmentState, FlagListItem, FlagView, PlanView } from './types.js';

/** One environment's state of a flag, as `GET /api/flags` carries it. */
export type EnvState = FlagEnvironmentState;

export type WithEnvs<T> = T & { environments?: Record<string, EnvState> };

/** The environments' states of a flag (empty from a server without environments). */
export const envStates = (f: FlagListItem | FlagView): Record<string, EnvState> => (f as WithEnvs<FlagListItem>).environments ?? {};

/**
 * `f` with `env`'s state in place of the default environment's. The fields the environments
 * object does not carry (who killed or paused and why) are left out rather than shown wrong.
 */
export function flagInEnv<T extends FlagListItem | FlagView>(f: T, env: string | null, plan?: PlanView | null): T {
  const s = env ? envStates(f)[env] : undefined;
  if (!s) return f;
  const same = s.killed === f.killed && s.paused === f.paused && s.stage === f.stage && s.planVersion === f.planVersion;
  if (same) return f;
  return {
    ...f,
    stage: s.stage,
    percent: s.percent,
    killed: s.killed,
    paused: s.paused,
    planVersion: s.planVersion,
    stages: plan?.plan ? plan.plan.stages.length : s.planVersion ? f.stages : 0,
    killedBy: s.killed === f.killed ? f.killedBy : null,
    killedAt: s.killed === f.killed ? f.killedAt : null,
    killReason: s.killed === f.killed ? f.killReason : null,
    killId: s.killed === f.killed ? f.killId : null,
    pausedBy: s.paused === f.paused ? f.pausedBy : null,
    pausedAt: s.paused === f.paused ? f.pausedAt : null,
    pauseReason: s.paused === f.paused ? f.pauseReason : null,
  };
}

const stateOf = (f: FlagView | FlagListItem): EnvState => ({ stage: f.stage, percent: f.percent, killed: f.killed, paused: f.paused, planVersion: f.planVersion });

/** The environment a stream message is about, when it names one (null: the default environment's). */
export const streamedEnv = (m: object): string | null =>
  (m as { environment?: string }).environment ?? ((m as { flag?: { environment?: string } }).flag?.environment ?? null);

/**
 * A list row after a stream message about its flag: the default environment's view replaces the
 * row (keeping the other environments' states when the message carries none); a message about
 * another environment changes only that environment's state.
 */
export function mergeStreamed(old: FlagListItem | undefined, incoming: FlagView, env: string | null, defaultKey: string | null): FlagListItem {
  const envs = { ...(old ? envStates(old) : {}) };
  if (env && env !== defaultKey) {
    if (!old) return incoming;
    return { ...old, environments: { ...envs, [env]: stateOf(incoming) } } as FlagListItem;
  }
  const mine = (incoming as WithEnvs<FlagView>).environments;
  if (mine) return incoming;
  if (defaultKey && Object.keys(envs).length) envs[defaultKey] = stateOf(incoming);
  return Object.keys(envs).length ? ({ ...incoming, environments: envs } as FlagListItem) : incoming;
}
