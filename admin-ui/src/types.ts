/**
 * The REST shapes the admin UI reads. Wire types (flag state, cohort rules, errors) come from the
 * SDK's protocol module; these mirror the server's views (server/flags/flag-view.ts, the rollout
 * routes of issue 3, the audit store) without importing server code.
 */
import type { CohortRule, Json, Propagation as WirePropagation } from '../../sdk/src/protocol.js';

export type { CohortRule, Json };

export interface FlagView {
  key: string;
  description: string;
  owner: string;
  tags: string[];
  on: Json;
  off: Json;
  version: number;
  archived: boolean;
  archivedAt?: string | null;
  archivedBy?: string | null;
  killed: boolean;
  killedBy: string | null;
  killedAt: string | null;
  killReason: string | null;
  stage: number;
  stages: number;
  percent: number;
  paused: boolean;
  pausedBy: string | null;
  pausedAt: string | null;
  pauseReason: string | null;
  stageStartedAt: string | null;
  planVersion: number;
  planAuthor: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
  stateVersion: number;
}

export interface MetricCheck {
  metric: string;
  op?: '<=' | '<' | '>=' | '>';
  threshold?: number;
  maxDropPct?: number;
  baseline?: number;
  guardrail?: boolean;
  onBreach?: 'pause' | 'kill';
}

export interface PlanStage {
  name?: string;
  percent: number;
  signoffs?: number;
  soakMinutes?: number;
  plannedAt?: string;
  autoAdvance?: boolean;
  checks?: MetricCheck[];
}

export interface Plan {
  cohort: CohortRule[];
  stages: PlanStage[];
  webhookUrl?: string;
}

/** GET /api/flags/:key/plan */
export interface PlanView {
  flag: string;
  /** 0 while the flag has no plan. */
  version: number;
  author: string | null;
  createdAt: string | null;
  plan: Plan | null;
  stage: number;
  percent: number;
}

export interface Gate {
  gate: 'state' | 'signoff' | 'metric' | 'soak' | 'schedule' | string;
  ok: boolean;
  detail: string;
  observed?: number | null;
  threshold?: number | null;
  metric?: string;
}

/** GET /api/flags/:key/gates */
export interface GatesView {
  flag: string;
  stage: number;
  percent: number;
  planVersion: number;
  flagVersion: number;
  nextStage: number | null;
  nextPercent: number | null;
  gates: Gate[];
  ready: boolean;
  note?: string;
}

export interface Signoff {
  id?: string;
  actor: string;
  at: string;
  comment: string;
  stage: number;
  planVersion: number;
}

/** GET /api/flags/:key/signoffs */
export interface SignoffsView {
  flag: string;
  planVersion: number;
  stage: number;
  nextStage: number | null;
  signoffs: Signoff[];
}

export interface CohortStats {
  count: number;
  mean: number;
  min: number;
  max: number;
}

export interface MetricSeries {
  metric: string;
  treatment: CohortStats | null;
  control: CohortStats | null;
  /** Oldest first. */
  samples: Array<{ at: string; value: number; cohort: string; stage: number }>;
  truncated: boolean;
}

/** GET /api/flags/:key/metrics */
export interface MetricsView {
  flag: string;
  stage: number;
  since: string;
  metrics: MetricSeries[];
}

/** Delivery figures of a flag's latest change (the wire type, minus what the UI already knows). */
export type Propagation = Pick<WirePropagation, 'connected' | 'applied' | 'pending' | 'slowestMs'>;

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  role: string;
  action: string;
  flag: string | null;
  before: unknown;
  after: unknown;
  reason: string | null;
  requestId: string | null;
  prevHash: string;
  hash: string;
}

export type VerifyResult =
  | { ok: true; count: number; head: string }
  | { ok: false; count: number; firstBad: number; problem: string; head: string };

export interface SdkKeyView {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  revokedBy: string | null;
}
