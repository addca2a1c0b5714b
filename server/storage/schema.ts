import type { Generated, Kysely } from 'kysely';
import type { SdkKeyKind } from '@switchyard-flags/sdk/api';

// The table types of every domain, one schema for both database kinds (server/storage/).

/** Booleans are stored as 0/1 integers and JSON as text, so the schema ports to PostgreSQL. */
export interface FlagTable {
  /** The environment of this row (migrations/0024): one row per (environment, key). */
  environment: string;
  key: string;
  description: string;
  owner: string;
  tags: string;
  on_value: string;
  off_value: string;
  salt: string;
  version: number;
  archived: number;
  archived_at: string | null;
  archived_by: string | null;
  killed: number;
  killed_by: string | null;
  killed_at: string | null;
  kill_reason: string | null;
  /** The id of the kill that killed the flag (one per kill request), null while live. */
  kill_id: string | null;
  stage: number;
  paused: number;
  paused_by: string | null;
  paused_at: string | null;
  pause_reason: string | null;
  stage_started_at: string | null;
  plan: string | null;
  plan_version: number;
  plan_author: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
  state_version: number;
  /** The fail-safe lease in seconds (migration 0018): null = SDKs keep the last-known value forever. */
  max_stale_seconds: number | null;
}

export interface AuditTable {
  seq: number;
  at: string;
  actor: string;
  role: string;
  action: string;
  flag: string | null;
  before: string | null;
  after: string | null;
  reason: string | null;
  request_id: string | null;
  /** What the client sent as X-Request-Id (migration 0013); hashed only when not null. */
  client_request_id?: string | null;
  /** The environment of a flag action (migration 0024); null for the server's own and older entries. Hashed only when not null. */
  environment?: string | null;
  prev_hash: string;
  hash: string;
}

export interface SdkKeyTable {
  id: string;
  name: string;
  key_hash: string;
  prefix: string;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
  revoked_by: string | null;
  /** `server` (full flag states) or `client` (only evaluated answers); migrations/0016. */
  kind: SdkKeyKind;
  /** Secure mode's HMAC secret (hex), null without secure mode; migrations/0020. */
  secure_secret: string | null;
  /** The one environment the key reads (migrations/0024). */
  environment: string;
}

export interface MetaTable {
  key: string;
  value: number;
}

export interface PlanVersionTable {
  /** The environment (migrations/0024; existing rows are `production`). */
  environment: string;
  id: Generated<number>;
  flag: string;
  version: number;
  plan: string;
  author: string;
  created_at: string;
}

export interface SignoffTable {
  /** The environment (migrations/0024; existing rows are `production`). */
  environment: string;
  id: Generated<number>;
  flag: string;
  plan_version: number;
  stage: number;
  actor: string;
  role: string;
  comment: string;
  at: string;
  /** Set when a plan edit or a rollback voided the sign-off; it then no longer counts. */
  voided_at: string | null;
  void_reason: string | null;
  /** The gate snapshot the PM saw, JSON `SignoffSnapshot` (migration 0017; null on older rows). */
  snapshot: string | null;
  /** Set when a later evaluation moved a check the sign-off covered out of pass; it then no longer counts. */
  lapsed_at: string | null;
  lapse_reason: string | null;
  lapse_metric: string | null;
  lapse_outcome: string | null;
}

export interface MetricSampleTable {
  /** The environment (migrations/0024; existing rows are `production`). */
  environment: string;
  id: Generated<number>;
  flag: string;
  metric: string;
  /** A single value, or the mean of an aggregate. */
  value: number;
  cohort: string;
  stage: number;
  at: string;
  received_at: string;
  /** Observations in the sample: 1 for a single value (migration 0017). */
  count: Generated<number>;
  /** An aggregate's sample standard deviation (n − 1); null for a single value. */
  stddev: number | null;
}

/** Which flags each kill killed (migration 0006). */
export interface KillMemberTable {
  /** The environment (migrations/0024; existing rows are `production`). */
  environment: string;
  kill_id: string;
  flag: string;
}

/** Signed audit checkpoints (migration 0011; server/audit/audit-checkpoints.ts). */
export interface AuditCheckpointTable {
  seq: number;
  head: string;
  at: string;
  key_id: string;
  signature: string;
  /** checkpointDigest of the checkpoint before (migrations/0021); null for the first and older ones. */
  prev: string | null;
}

/** Revoked user tokens (migration 0009): by `jti`, or every token of `sub` issued before `before`. */
export interface TokenRevocationTable {
  id: string;
  jti: string | null;
  sub: string | null;
  /** Epoch seconds: tokens of `sub` with an `iat` before this are refused. */
  before: number | null;
  revoked_at: string;
  revoked_by: string;
  reason: string | null;
}

/** `flag_usage` (migrations/0003_telemetry.ts): evaluations per flag, stage, served variant and UTC day. */
export interface FlagUsageTable {
  /** The environment (migrations/0024; existing rows are `production`). */
  environment: string;
  flag: string;
  stage: number;
  variant: string;
  day: string;
  count: number;
  last_seen_at: string;
}

/** `flag_reach` (migrations/0005_reach.ts): merged distinct-user registers per flag, stage and UTC day. */
export interface FlagReachTable {
  /** The environment (migrations/0024; existing rows are `production`). */
  environment: string;
  flag: string;
  stage: number;
  day: string;
  regs: Uint8Array;
}

/** `metric_aggregates` (migrations/0007, 0020): running count, mean, M2 (Σ(x − mean)²), min, max per flag, stage run, metric and cohort. */
export interface MetricAggregateTable {
  /** The environment (migrations/0024; existing rows are `production`). */
  environment: string;
  flag: string;
  stage: number;
  /** When the stage run began (the flag's `stage_started_at`, or its creation before the first stage). */
  since: string;
  metric: string;
  cohort: string;
  count: number;
  mean: number;
  m2: number;
  min: number;
  max: number;
  updated_at: string;
}

/** `metric_reporters` (migrations/0020): which token subjects sent samples of a stage run's metric. */
export interface MetricReporterTable {
  /** The environment (migrations/0024; existing rows are `production`). */
  environment: string;
  flag: string;
  stage: number;
  since: string;
  metric: string;
  reporter: string;
  last_seen_at: string;
}

/** `metric_names` (migrations/0007): every metric name a flag reported, for the per-flag cap. */
export interface MetricNameTable {
  /** The environment (migrations/0024; existing rows are `production`). */
  environment: string;
  flag: string;
  metric: string;
  last_seen_at: string;
}

/** `replicas` (migrations/0015): one row per running replica of a cluster (server/cluster/replica-store.ts). */
export interface ReplicaTable {
  id: string;
  name: string;
  url: string;
  started_at: number;
  heartbeat_at: number;
  sdk_count: number;
  acks: string;
  state_version: number;
  /** Live streams per SDK key id, JSON {"<id>": count} (migrations/0023; MAX_CONNECTIONS_PER_KEY across replicas). */
  key_streams: string;
}

/** `leases` (migrations/0015): who runs a cluster-wide job until when (server/cluster/lease-store.ts). */
export interface LeaseTable {
  name: string;
  holder: string;
  expires_at: number;
}

/** `environments` (migrations/0024): the environments a flag has state in (server/environments/). */
export interface EnvironmentTable {
  key: string;
  name: string;
  /** The environment's place in the order (`order` in the API). */
  position: number;
  protected: number;
  require_signoff: number;
  archived: number;
  archived_at: string | null;
  archived_by: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
  version: number;
}

/** `sessions` (migrations/0025): admin UI sessions from an OIDC sign-in (server/auth/session-store.ts). Times in epoch ms. */
export interface SessionTable {
  id: string;
  /** SHA-256 (hex) of the cookie's random id; the id itself is never stored. */
  token_hash: string;
  sub: string;
  name: string | null;
  email: string | null;
  role: string;
  /** JSON of the claims the role was decided from. */
  claims: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_by: string | null;
}

export interface Database {
  environments: EnvironmentTable;
  sessions: SessionTable;
  replicas: ReplicaTable;
  leases: LeaseTable;
  audit_checkpoints: AuditCheckpointTable;
  token_revocations: TokenRevocationTable;
  flags: FlagTable;
  kill_members: KillMemberTable;
  audit: AuditTable;
  sdk_keys: SdkKeyTable;
  meta: MetaTable;
  plan_versions: PlanVersionTable;
  signoffs: SignoffTable;
  metric_samples: MetricSampleTable;
  metric_aggregates: MetricAggregateTable;
  metric_reporters: MetricReporterTable;
  metric_names: MetricNameTable;
  flag_usage: FlagUsageTable;
  flag_reach: FlagReachTable;
}

export type Db = Kysely<Database>;
