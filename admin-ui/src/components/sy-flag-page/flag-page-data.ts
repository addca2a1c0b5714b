/**
 * What the flag page reads, in one request set per (environment, flag, revision): the flag, its
 * rollout (plan, gates, sign-offs, metrics) in that environment and its audit history. The page's
 * task runs it; only the latest run's answer is ever rendered.
 */
import { ApiFailure, get, query } from '../../api.js';
import { flagPath } from '../../place.js';
import type { AuditEntry, FlagView, GatesView, MetricsView, PlanView, SignoffsView } from '../../types.js';
import { flagInEnv } from '../../flag-env.js';

export interface Rollout {
  plan: PlanView | null;
  gates: GatesView | null;
  signoffs: SignoffsView | null;
  metrics: MetricsView | null;
}

export interface History {
  entries: AuditEntry[];
  next: string | null;
  /** Why the history could not be read (the rest of the page still shows). */
  problem?: string;
}

export interface FlagPageData extends Rollout {
  env: string | null;
  key: string;
  flag: FlagView;
  history: History;
}

/** A 404 (no plan yet, or an archived flag) is `null`, not a failure. */
const optional = <T>(p: Promise<T>) => p.catch((e: unknown) => (e instanceof ApiFailure && e.status === 404 ? null : Promise.reject(e)));

export async function loadFlagPage(env: string | null, key: string, signal?: AbortSignal): Promise<FlagPageData> {
  const read = <T>(action: string) => optional(get<T>(flagPath(key, action, env), signal));
  const [flag, plan, gates, signoffs, metrics, history] = await Promise.all([
    // The flag as this environment has it: its stage, plan, and who killed or paused it there, and why.
    get<FlagView>(env ? `/api/envs/${encodeURIComponent(env)}/flags/${encodeURIComponent(key)}` : flagPath(key, '', env), signal),
    read<PlanView>('plan'),
    read<GatesView>('gates'),
    read<SignoffsView>('signoffs'),
    read<MetricsView>('metrics'),
    loadHistory(env, key, null, signal).catch((e: unknown): History => {
      if (signal?.aborted) throw e;
      return { entries: [], next: null, problem: (e as Error).message };
    }),
  ]);
  return { env, key, flag: flagInEnv(flag, env, plan), plan, gates, signoffs, metrics, history };
}

export const loadHistory = (env: string | null, key: string, cursor?: string | null, signal?: AbortSignal) =>
  get<History>(`/api/audit${query({ flag: key, environment: env, limit: 25, cursor })}`, signal);
