/** What the flag page reads: the flag, its rollout (plan, gates, sign-offs, metrics) and its audit history. */
import { ApiFailure, get, query, seg } from '../../api.js';
import type { AuditEntry, FlagView, GatesView, MetricsView, PlanView, SignoffsView } from '../../types.js';

export interface Rollout {
  plan: PlanView | null;
  gates: GatesView | null;
  signoffs: SignoffsView | null;
  metrics: MetricsView | null;
}

export interface History {
  entries: AuditEntry[];
  next: string | null;
}

/** A 404 (no plan yet, or an archived flag) is `null`, not a failure. */
const optional = <T>(p: Promise<T>) => p.catch((e: unknown) => (e instanceof ApiFailure && e.status === 404 ? null : Promise.reject(e)));

const base = (key: string) => `/api/flags/${seg(key)}`;

export const loadFlag = (key: string) => get<FlagView>(base(key));

export async function loadRollout(key: string): Promise<Rollout> {
  const b = base(key);
  const [plan, gates, signoffs, metrics] = await Promise.all([
    optional(get<PlanView>(`${b}/plan`)),
    optional(get<GatesView>(`${b}/gates`)),
    optional(get<SignoffsView>(`${b}/signoffs`)),
    optional(get<MetricsView>(`${b}/metrics`)),
  ]);
  return { plan, gates, signoffs, metrics };
}

export const loadHistory = (key: string, cursor?: string | null) => get<History>(`/api/audit${query({ flag: key, limit: 25, cursor })}`);
