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
