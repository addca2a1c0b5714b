/**
 * Wire types shared by the server, the SDK and the admin UI.
 *
 * The SDK owns these types: the server and the admin UI import them from here,
 * never the other way round, so all three agree on what a flag is on the wire.
 */

/** Any JSON value: what a flag serves. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Operators a cohort rule may use. */
export type CohortOp =
  | 'eq'
  | 'neq'
  | 'in'
  | 'not_in'
  | 'starts_with'
  | 'ends_with'
  | 'contains'
  | 'lt'
  | 'lte'
  | 'gt'
  | 'gte'
  | 'semver_eq'
  | 'semver_lt'
  | 'semver_lte'
  | 'semver_gt'
  | 'semver_gte';

/**
 * One eligibility rule over a context attribute. `values` holds the operand(s):
 * one element for eq/neq/starts_with/ends_with/contains/numeric/semver operators,
 * any number for in/not_in. A missing attribute never matches.
 */
export interface CohortRule {
  attr: string;
  op: CohortOp;
  values: Array<string | number | boolean>;
}

/**
 * Everything the SDK needs to evaluate one flag locally. Produced by the server,
 * pushed over the stream and served by `GET /sdk/flags`.
 */
export interface FlagState {
  key: string;
  /** The flag's own version; bumps on every change to the flag. */
  version: number;
  /** Served to users inside the rollout. */
  on: Json;
  /** Served to everyone else, and to everyone while the flag is killed. */
  off: Json;
  /** Per-flag salt for bucketing; independent flags bucket independently. */
  salt: string;
  killed: boolean;
  /** Paused rollouts keep serving their current stage; they just do not advance. */
  paused: boolean;
  /** 0 = not started; n = the n-th stage of the plan. */
  stage: number;
  /** Share of the eligible cohort that gets `on`, 0..100 (may be fractional, e.g. 0.5). */
  percent: number;
  /** All rules must hold for a context to be eligible. Empty = everyone. */
  cohort: CohortRule[];
  /**
   * The fail-safe lease (absent: none). A client that has heard nothing from the server (no
   * state, no heartbeat) for longer than this serves `off`, reason `STALE`, until it hears again.
   */
  maxStaleSeconds?: number;
}

/** Attributes of the user or request a flag is evaluated for. `key` is the bucketing key. */
export interface EvaluationContext {
  key?: string;
  [attr: string]: unknown;
}

/** Why a context got the value it got. */
export type EvaluationReason =
  | 'KILLED'
  | 'COHORT_MISS'
  | 'NOT_STARTED'
  | 'ROLLOUT_IN'
  | 'ROLLOUT_OUT'
  | 'FLAG_NOT_FOUND'
  /** The flag's lease lapsed (`maxStaleSeconds` without hearing from the server): its `off` value. */
  | 'STALE'
  | 'ERROR';

/** Machine-readable cause when the reason is `ERROR` or `FLAG_NOT_FOUND`. */
export type EvaluationErrorCode = 'FLAG_NOT_FOUND' | 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT' | 'GENERAL';

/** The result of evaluating a flag for a context. */
export interface Evaluation<T = Json> {
  value: T;
  reason: EvaluationReason;
  /** The context's bucket (0..9999) when a percentage was applied. */
  bucket?: number;
  errorCode?: EvaluationErrorCode;
  /** The flag version this result was computed from. */
  flagVersion?: number;
}

/** The full state at one global version. */
export interface Snapshot {
  version: number;
  flags: FlagState[];
}

/** The one error body of the REST API. */
export interface ApiError {
  error: { code: string; message: string; details?: unknown };
}

// ---------------------------------------------------------------------------
// Push protocol v1 (docs/protocol.md): the /sdk/stream and /api/stream websockets.
// ---------------------------------------------------------------------------

/** The push protocol version a client names in its `hello`. */
export const PROTOCOL_VERSION = 1;

/** The subprotocol a browser offers (with `sdk-key.<key>`) and the server selects. */
export const SDK_SUBPROTOCOL = 'switchyard.v1';

/** The subprotocol the admin UI offers (with `bearer.<jwt>`) on /api/stream. */
export const ADMIN_SUBPROTOCOL = 'switchyard.admin.v1';

/** Close codes the server uses besides the standard ones (1001 going away, 1009 too big, 1012 draining: reconnect elsewhere at once). */
export const CloseCodes = {
  /** The client sent a frame that is not a valid message (bad JSON, unknown type, bad field, binary). */
  MALFORMED: 4400,
  /** The SDK key was revoked while connected. Do not retry with the same key. */
  KEY_REVOKED: 4401,
  /** No `hello` in time, a missed heartbeat, or a slow consumer: reconnect and resume. */
  TIMEOUT: 4408,
  /** A newer stream took this one's place (a per-key, per-address or per-user cap, or the server's stream budget): reconnect with backoff. */
  EVICTED: 4429,
  /** Admin stream: the user token was revoked while connected (reason `token_revoked`). Sign in again. */
  TOKEN_REVOKED: 4401,
  /** Admin stream: the user token expired while connected (reason `token_expired`). Sign in again. */
  TOKEN_EXPIRED: 4419,
} as const;

/** client -> server, first and once: the last global version the client holds (0 if none). */
export interface HelloMessage {
  type: 'hello';
  protocol: number;
  version: number;
  /** The SDK's name and version, e.g. `switchyard-js/0.1.0`. */
  sdk?: string;
}

/** client -> server: every version up to `version` has been applied. */
export interface AckMessage {
  type: 'ack';
  version: number;
}

/** How many evaluations of one flag, at one stage, served each variant since the last report. */
export interface TelemetryCount {
  key: string;
  /** The flag's stage (`FlagState.stage`) when these evaluations were served. */
  stage: number;
  /** Served the flag's `on` value (reason ROLLOUT_IN). */
  on: number;
  /** Served the flag's `off` value (KILLED, COHORT_MISS, NOT_STARTED, ROLLOUT_OUT). */
  off: number;
  /** Served the caller's fallback (ERROR, or a value of another type than the fallback). */
  fallback: number;
}

/**
 * About how many distinct users one stage of a flag served its `on` value to since the last
 * report: a HyperLogLog sketch (docs/protocol.md, "Reach"). The server merges sketches per
 * register (max), so a user counted by several clients or reports counts once.
 */
export interface TelemetryReach {
  key: string;
  stage: number;
  /** REACH_REGISTERS registers as lowercase hex (two digits each), each 0..REACH_MAX_RANK. */
  regs: string;
}

/** client -> server every `telemetryIntervalMs`: evaluation counts since the last report (at most 500 entries). */
export interface TelemetryMessage {
  type: 'telemetry';
  counts: TelemetryCount[];
  /** Distinct-user sketches (server-side SDKs; at most MAX_TELEMETRY_REACH entries). */
  reach?: TelemetryReach[];
}

/** Registers of a reach sketch, and the largest value one may hold (a 30-bit hash: 6 index bits, 24 rank bits). */
export const REACH_REGISTERS = 64;
export const REACH_MAX_RANK = 25;
/** Most reach entries one telemetry message may carry. */
export const MAX_TELEMETRY_REACH = 100;

/** Most entries one telemetry message may carry; clients split larger reports. */
export const MAX_TELEMETRY_COUNTS = 500;

export type ClientMessage = HelloMessage | AckMessage | TelemetryMessage;

/** server -> client: the full state; replaces whatever the client held. */
export interface SnapshotMessage extends Snapshot {
  type: 'snapshot';
  /** The server's heartbeat interval (on the first message after `hello`). */
  heartbeatMs?: number;
}

/** server -> client: what changed after `since`, bringing the client to `version`. */
export interface ChangesMessage {
  type: 'changes';
  since: number;
  version: number;
  /** Flags added or changed: replace the held state by key. */
  flags: FlagState[];
  /** Keys of flags that no longer exist (archived). */
  removed: string[];
  heartbeatMs?: number;
}

/** server -> client every `heartbeatMs`: the connection is alive; `version` is the server's. */
export interface HeartbeatMessage {
  type: 'heartbeat';
  version: number;
}

/** server -> client, just before a close with a 44xx code. */
export interface ErrorMessage {
  type: 'error';
  code: string;
  message: string;
}

export type ServerMessage = SnapshotMessage | ChangesMessage | HeartbeatMessage | ErrorMessage;

/** How far a flag's latest change has reached the connected SDKs. */
export interface Propagation {
  key: string;
  /** The global version of the flag's latest change. */
  stateVersion: number;
  /** SDK connections live now. */
  connected: number;
  /** Of those, how many have acknowledged a version >= stateVersion. */
  applied: number;
  pending: number;
  /** From the server sending the change to the slowest acknowledgement seen; null if unknown. */
  slowestMs: number | null;
  medianMs?: number | null;
  /**
   * In a cluster: each replica's own figures (the totals above count the live ones). A gone
   * replica keeps the SDK count it last reported, which are reconnecting elsewhere.
   */
  replicas?: ReplicaPropagation[];
  /**
   * OFREP clients, apart: they acknowledge nothing, so they are never in `applied`. What they
   * last fetched and when, and the event streams that were told to re-fetch.
   */
  ofrep?: OfrepPropagation;
  /**
   * SDK connections closed in the last 5 minutes because they had not acknowledged what they
   * were sent within ACK_TIMEOUT_MS, without having applied this change: apart from `connected`,
   * so they hold no wait and no convergence gate. In a cluster, summed over the live replicas.
   */
  unresponsive?: number;
}

/** One replica's share of a flag's propagation figures. */
export interface ReplicaPropagation {
  name: string;
  connected: number;
  acknowledged: number;
  pending: number;
  status: 'live' | 'gone';
  /** How long ago a gone replica was last heard from; null while live. */
  goneForMs: number | null;
  /** This replica's SDKs closed as unresponsive (see `Propagation.unresponsive`); absent when none. */
  unresponsive?: number;
}

/** What the server knows of OFREP clients for one change (they send no acknowledgements). */
export interface OfrepPropagation {
  /** Event streams open now: each was sent `refetchEvaluation` for every change. */
  streams: number;
  /** OFREP answers served from this change's state version or later (since the server started). */
  fetchedSince: number;
  /** The state version of the latest OFREP answer, and when it was served; null before the first. */
  lastFetchedVersion: number | null;
  lastFetchedAt: string | null;
}

/** Admin stream (/api/stream), server -> UI. `F` is the REST API's flag view. */
export type AdminMessage<F = Record<string, unknown>, A = Record<string, unknown>> =
  | { type: 'hello'; version: number }
  | { type: 'flag'; action: string; stateVersion: number; flag: F }
  | { type: 'audit'; entry: A }
  | ({ type: 'propagation' } & Propagation);
