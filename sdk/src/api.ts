/**
 * The REST API's shapes (`/api/...`) and the role table, shared by the server and the admin UI.
 *
 * Like the wire types in protocol.ts, the SDK package owns these so that the server and the UI
 * import one definition and cannot disagree about a field. The SDK's own entry (index.ts) does
 * not import this module: nothing here reaches an application's bundle. Everything is a type
 * except the role table (`ROLES`, `CAN`, `isRole`), a few hundred bytes.
 */
import type { CohortRule, Json, Propagation } from './protocol.js';

// ---------------------------------------------------------------------------
// Roles and permissions
// ---------------------------------------------------------------------------

/** User roles, from most to least powerful. SDK keys are a separate credential. */
export const ROLES = ['admin', 'pm', 'engineer', 'oncall', 'viewer', 'metrics'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(x: unknown): x is Role {
  return typeof x === 'string' && (ROLES as readonly string[]).includes(x);
}

/** Named permission sets, so routes (and the UI's buttons) say what they need rather than listing roles. */
export const CAN = {
  read: ['admin', 'pm', 'engineer', 'oncall', 'viewer'],
  editFlags: ['admin', 'engineer'],
  kill: ['admin', 'pm', 'engineer', 'oncall'],
  plan: ['admin', 'pm'],
  signoff: ['pm'],
  advance: ['admin', 'pm'],
  rollback: ['admin', 'pm', 'oncall'],
  pause: ['admin', 'pm', 'oncall'],
  reportMetrics: ['admin', 'engineer', 'metrics'],
  manageKeys: ['admin'],
  unarchive: ['admin'],
  /** Create, rename, reorder, protect and archive environments (issue 23). */
  environments: ['admin'],
  /** Advance in an environment: engineers only where it is unprotected and set to requireSignoff: false (the service checks). */
  advanceInEnvironment: ['admin', 'pm', 'engineer'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof CAN;

// ---------------------------------------------------------------------------
// Flags and the kill switch
// ---------------------------------------------------------------------------

/** A flag as the REST API shows it (`GET /api/flags/:key`). */
export interface FlagView {
  key: string;
  description: string;
  owner: string;
  tags: string[];
  on: Json;
  off: Json;
  version: number;
  archived: boolean;
  archivedAt: string | null;
  archivedBy: string | null;
  killed: boolean;
  killedBy: string | null;
  killedAt: string | null;
  killReason: string | null;
  /**
   * The id of the kill that killed the flag, null while live. One id per kill request (one flag,
   * by tag, all, or a guardrail trip); `POST /api/restore {killId}` undoes exactly that kill.
   */
  killId: string | null;
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
  /** The fail-safe lease: an SDK that has heard nothing from the server for longer serves `off` (null: no lease). */
  maxStaleSeconds: number | null;
  /** How many cohort rules the plan has: 0 when every user is eligible (no plan, or a plan without a cohort). */
  cohortRules: number;
  /** Each non-archived environment's state of the flag (issue 23), by environment key: on `GET /api/flags` and `GET /api/flags/:key`. */
  environments?: Record<string, FlagEnvironmentState>;
}

/** One environment's state of a flag (`FlagView.environments`). */
export interface FlagEnvironmentState {
  stage: number;
  percent: number;
  killed: boolean;
  paused: boolean;
  planVersion: number;
}

/** An environment (`GET /api/environments`, issue 23): a flag has its own state in each. */
export interface Environment {
  key: string;
  name: string;
  order: number;
  protected: boolean;
  requireSignoff: boolean;
  archived: boolean;
  version: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

/**
 * One flag of `GET /api/flags`: the FlagView, except that without `?values=full` a value longer
 * than 256 bytes of JSON is left out, and `omittedValues` gives its size in bytes.
 */
export type FlagListItem = Omit<FlagView, 'on' | 'off'> & { on?: Json; off?: Json; omittedValues?: { on?: number; off?: number } };

/** `GET /api/flags?limit=&cursor=&values=`: one page in key order; `next` is the cursor of the next page, null on the last. */
export interface FlagListPage {
  flags: FlagListItem[];
  next: string | null;
}

/** `POST /api/flags/:key/kill` and `/restore`: the flag, whether it changed, and with `waitMs` the delivery figures. */
export type FlagActionResult = FlagView & { changed: boolean; propagation?: Propagation };

/** `POST /api/kill` (`{tag} | {all: true}`, `reason`, `waitMs?`). */
export interface BulkKillResult {
  /** This kill's id, stored on every flag in `killed`; null when it killed nothing. Restore with `{killId}`. */
  killId: string | null;
  killed: string[];
  /** Killed before this request: they keep their own kill (and its id). */
  alreadyKilled: string[];
  /** With `waitMs`: per killed flag, how far the kill reached the connected SDKs. */
  propagation?: Record<string, Propagation>;
  /** A kill in named environments (`/api/envs/:env/kill`, or `environments` in the body): what it did in each (issue 23). */
  /** Per environment of a cross-environment kill; `propagation` there with `waitMs`. */
  environments?: Record<string, { killed: string[]; alreadyKilled: string[]; propagation?: Record<string, Propagation> }>;
}

/** `POST /api/restore` (`{tag} | {all: true} | {killId}`, `reason`, `waitMs?`). */
export interface BulkRestoreResult {
  restored: string[];
  /** In scope but not killed; with `killId`: flags of that kill restored since. */
  alreadyLive: string[];
  /** With `killId` only: flags of that kill restored since and killed again by a later kill (left killed). */
  notThisKill?: string[];
  /** With `waitMs`: per restored flag, how far the restore reached the connected SDKs. */
  propagation?: Record<string, Propagation>;
}

// ---------------------------------------------------------------------------
// Rollout plans, gates, sign-offs
// ---------------------------------------------------------------------------

export type Comparison = '<=' | '<' | '>=' | '>';

/**
 * A metric check: absolute (`op` and `threshold`) or relative to a baseline (`maxDropPct`,
 * `baseline?`). Optional fields have server defaults; `GET` answers with them filled in.
 */
export interface MetricCheck {
  metric: string;
  op?: Comparison;
  threshold?: number;
  maxDropPct?: number;
  baseline?: number;
  guardrail?: boolean;
  onBreach?: 'pause' | 'kill';
  /** Confidence of the check's sequence, every look together (default 0.95). */
  confidence?: number;
  /** Samples (per cohort) before anything but inconclusive (default 30). */
  minSamples?: number;
  /** Guardrails only: trip on any single sample that breaks the check (a hard cap), not on the evidence. */
  tripOnAny?: boolean;
}

/** One stage of a plan, as `PUT /api/flags/:key/plan` accepts it (defaults: 1 sign-off, no soak, no checks). */
export interface PlanStage {
  name?: string;
  percent: number;
  signoffs?: number;
  soakMinutes?: number;
  plannedAt?: string;
  autoAdvance?: boolean;
  /** Percent of connected SDKs that must have applied this stage before the next advance (default 99). */
  minApplied?: number;
  checks?: MetricCheck[];
  /** The environment before this one (by order) must have held this percentage, unkilled and unpaused, for `soakMinutes` first. */
  requirePrevious?: { soakMinutes: number };
}

export interface Plan {
  cohort: CohortRule[];
  stages: PlanStage[];
  /**
   * Where rollout notices go. A secret: in full only in the answer of the PUT that set it; everywhere
   * else redacted (`https://hooks.example/…/****`), with `webhookUrlHash` (12 hex of its SHA-256).
   * Sending the redacted form back unchanged keeps the current URL.
   */
  webhookUrl?: string;
  webhookUrlHash?: string;
}

/** `GET /api/flags/:key/plan` */
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

/** `previous`: a stage's `requirePrevious`, the environment before this one held its percentage for the soak (issue 23). */
export type GateKind = 'state' | 'signoff' | 'metric' | 'soak' | 'schedule' | 'convergence' | 'previous';

/** One condition on entering the next stage, and why it holds or not. */
export interface Gate {
  gate: GateKind;
  ok: boolean;
  detail: string;
  metric?: string;
  observed?: number | null;
  threshold?: number | null;
  /** Gate-specific figures (signers, samples, plannedAt, ...). */
  [extra: string]: unknown;
}

/** `GET /api/flags/:key/gates` */
export interface GatesView {
  flag: string;
  stage: number;
  percent: number;
  planVersion: number;
  flagVersion: number;
  /** The stage an advance would enter, or null when there is none (no plan, or at the last stage). */
  nextStage: number | null;
  nextPercent: number | null;
  gates: Gate[];
  /** True when an advance would be allowed right now. */
  ready: boolean;
  /** Why `ready` is false when there are no gates to show (no plan, last stage). */
  note?: string;
  /** The evidence a sign-off now would be given on (the sign-off dialog shows it), and its id. */
  snapshot?: SignoffSnapshot | null;
  snapshotId?: string | null;
}

/** One check as the PM saw it when signing. */
export interface SnapshotCheck {
  metric: string;
  outcome: 'pass' | 'breach' | 'inconclusive';
  estimate: number | null;
  interval: [number, number] | null;
  n: number;
}

/** The gate evidence a sign-off was given on: it covers the checks that were `pass` then. */
export interface SignoffSnapshot {
  planVersion: number;
  checks: SnapshotCheck[];
}

/** A sign-off as the API shows it. */
export interface Signoff {
  id: number;
  planVersion: number;
  stage: number;
  actor: string;
  comment: string;
  at: string;
  /** What the PM saw (null for sign-offs given before evidence was recorded). */
  snapshot: SignoffSnapshot | null;
  /** 12 hex of the SHA-256 of the snapshot's canonical JSON; send it back as `snapshotId` to sign exactly that. */
  snapshotId: string | null;
  /** Set when the sign-off lapsed (it no longer counts). */
  lapsedAt?: string;
  lapseReason?: string;
}

/** A sign-off that lapsed, as the sign-off gate lists it. */
export interface LapsedSignoff {
  actor: string;
  at: string;
  metric: string;
  outcome: string;
  reason: string;
}

/** `GET /api/flags/:key/signoffs` */
export interface SignoffsView {
  flag: string;
  planVersion: number;
  stage: number;
  nextStage: number | null;
  signoffs: Signoff[];
  /** Sign-offs of the current plan version that lapsed (with `lapsedAt`, `lapseReason`): they no longer count. */
  lapsed: Signoff[];
}

// ---------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------

/** Count and mean of one metric's samples in one cohort. */
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
  /** Oldest first; the newest `limit` samples when `truncated`. */
  /** An aggregate sample has `count` and `stddev` (`value` is then its mean). */
  samples: Array<{ at: string; value: number; cohort: string; stage: number; count?: number; stddev?: number }>;
  truncated: boolean;
}

/** `GET /api/flags/:key/metrics` */
export interface MetricsView {
  flag: string;
  stage: number;
  since: string;
  /** One page of metric names (at most 50), in name order. */
  metrics: MetricSeries[];
  /** Pass as `?after=` for the next page of metric names; null on the last page. */
  next: string | null;
}

// ---------------------------------------------------------------------------
// Audit trail and SDK keys
// ---------------------------------------------------------------------------

/**
 * Every audit action, as stored in `audit.action` and sent on the wire (`AuditEntry.action`,
 * change events, webhook notices). The server writes and matches them, the admin UI labels
 * them; nobody spells one out as a bare string.
 */
export const AuditAction = {
  FlagCreate: 'flag.create',
  FlagUpdate: 'flag.update',
  FlagArchive: 'flag.archive',
  FlagUnarchive: 'flag.unarchive',
  FlagKill: 'flag.kill',
  FlagRestore: 'flag.restore',
  PlanUpdate: 'plan.update',
  /** A plan version created from another environment's current plan (`after.lineage`: `{from, fromPlanVersion, sourceHash}`). */
  PlanPromote: 'plan.promote',
  RolloutSignoff: 'rollout.signoff',
  /** A sign-off lapsed by itself: a later evaluation moved a check it covered out of pass (system actor). */
  SignoffLapse: 'signoff.lapse',
  RolloutAdvance: 'rollout.advance',
  RolloutRollback: 'rollout.rollback',
  RolloutPause: 'rollout.pause',
  RolloutResume: 'rollout.resume',
  RolloutGuardrailTrip: 'rollout.guardrail_trip',
  RolloutAutoAdvanceBlocked: 'rollout.auto_advance_blocked',
  SdkKeyCreate: 'sdk_key.create',
  SdkKeyRevoke: 'sdk_key.revoke',
  TokenRevoke: 'token.revoke',
  EnvironmentCreate: 'environment.create',
  EnvironmentUpdate: 'environment.update',
  /** A sign-in through the identity provider opened a session (OIDC). */
  AuthLogin: 'auth.login',
  /** A session was ended by its user (sign out). */
  AuthLogout: 'auth.logout',
  /** A sign-in was refused (no role mapped, a failed check); the reason says why. */
  AuthLoginRefused: 'auth.login_refused',
  /** An admin ended someone's session. */
  SessionRevoke: 'session.revoke',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];

/** One audit entry as the API shows it. */
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
  /** The server's own id of the request that made the change (also its X-Request-Id response header). */
  requestId: string | null;
  /** What the client sent as X-Request-Id, if anything: for matching a caller's own records, never trusted as unique. */
  clientRequestId: string | null;
  /** The environment of a flag action (issue 23); null for the server's own actions and entries before environments. */
  environment: string | null;
  prevHash: string;
  hash: string;
  /** Fields hidden from the caller's role (e.g. `after.id` of an SDK key entry); the hash is of the stored entry. */
  redacted?: string[];
}

/** `GET /api/audit/verify` */
export type VerifyResult =
  | { ok: true; count: number; head: string }
  | { ok: false; count: number; firstBad: number | null; problem: string; head: string };

/**
 * `server`: a backend's key, reads every flag's full state (`GET /sdk/flags`, `/sdk/stream`).
 * `client`: a key shipped in a browser or mobile app, gets only answers evaluated for the
 * context it sends (OFREP); refused on the full-state routes.
 */
export type SdkKeyKind = 'server' | 'client';

export interface SdkKeyView {
  id: string;
  name: string;
  kind: SdkKeyKind;
  /** The first characters of the key, enough to recognise it in a list. */
  prefix: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  revokedBy: string | null;
  /** A client key in secure mode answers only contexts whose `secureHash` its secret signed. */
  secureMode: boolean;
}

// ---------------------------------------------------------------------------
// Evaluation telemetry
// ---------------------------------------------------------------------------

/** Evaluations SDKs served at one stage of a flag (counts, not distinct users). */
export interface StageUsageView {
  stage: number;
  /** The stage's share of the eligible cohort in the current plan (0 for stage 0 or a stage the plan no longer has). */
  percent: number;
  evaluations: number;
  /** Served the flag's `on` value. */
  on: number;
  /** Served the flag's `off` value (killed, outside the cohort or the rollout, not started). */
  off: number;
  /** Served the caller's fallback (an error, or a value of another type). */
  fallback: number;
  /**
   * About how many distinct users were served the `on` value (a HyperLogLog estimate, ~13%
   * standard error), from SDKs that report reach (server-side ones); null when none did.
   */
  users: number | null;
  lastEvaluatedAt: string | null;
}

/** `GET /api/flags/:key/usage[?days=N]` */
export interface UsageView {
  key: string;
  /** The flag's current stage. */
  stage: number;
  /** The window in days, or null for all time. */
  days: number | null;
  evaluations: number;
  /** About how many distinct users were served `on` at any stage in the window (each counted once); null when no SDK reported reach. */
  users: number | null;
  lastEvaluatedAt: string | null;
  stages: StageUsageView[];
}

/** A live flag no SDK evaluated since the cutoff (or never, and created before it). */
export interface StaleFlag {
  key: string;
  owner: string;
  createdAt: string;
  lastEvaluatedAt: string | null;
}

/** `GET /api/stale-flags?days=30` */
export interface StaleFlagsView {
  days: number;
  cutoff: string;
  flags: StaleFlag[];
}
