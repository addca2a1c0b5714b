/**
 * OpenFeature Remote Evaluation Protocol (OFREP) answers from Switchyard evaluations: pure
 * functions, no I/O. The evaluation itself is `explain()` of sdk/src/evaluate.ts, the one the
 * SDK and the rollout preview use, so every path agrees on every user.
 */
import crypto from 'node:crypto';
import { explain, type PreparedFlag } from '@switchyard-flags/sdk/evaluate';
import type { Evaluation, EvaluationContext, EvaluationReason, Json } from '@switchyard-flags/sdk/protocol';

/** OFREP's success reasons (service/openapi.yaml `evaluationSuccess.reason`). */
export type OfrepReason = 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED' | 'UNKNOWN';
/** OFREP's error codes: `evaluationFailure` (400) and `flagNotFound` (404). */
export type OfrepErrorCode = 'PARSE_ERROR' | 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT' | 'GENERAL' | 'FLAG_NOT_FOUND';

export interface OfrepSuccess {
  key: string;
  value: Json;
  reason: OfrepReason;
  variant: 'on' | 'off';
  metadata: Record<string, string | number | boolean>;
}
export interface OfrepFailure {
  key: string;
  errorCode: OfrepErrorCode;
  errorDetails: string;
}
export type OfrepResult = OfrepSuccess | OfrepFailure;

/** OpenFeature's `targetingKey` is Switchyard's bucketing `key` (as in the SDK's OpenFeature providers). */
export function switchyardContext(ctx: Record<string, unknown> | undefined): EvaluationContext {
  if (!ctx) return {};
  const { targetingKey, ...rest } = ctx;
  return (targetingKey === undefined ? rest : { ...rest, key: targetingKey }) as EvaluationContext;
}

/**
 * Switchyard's reason as OFREP's: a killed flag is DISABLED; an answer a percentage decided is
 * SPLIT; one the context's attributes decided (a cohort) is TARGETING_MATCH; one that is the same
 * for every context (0% or 100%, no cohort) is STATIC.
 */
export function ofrepReason(r: EvaluationReason, hasCohort: boolean, bucketed: boolean): OfrepReason {
  if (r === 'KILLED') return 'DISABLED';
  if (bucketed) return 'SPLIT';
  if (r === 'COHORT_MISS' || hasCohort) return 'TARGETING_MATCH';
  if (r === 'NOT_STARTED' || r === 'ROLLOUT_IN' || r === 'ROLLOUT_OUT') return 'STATIC';
  return 'UNKNOWN';
}

/** One flag for one context, as OFREP says it; `undefined` flag: FLAG_NOT_FOUND. Never throws. */
export function ofrepEvaluate(key: string, flag: PreparedFlag | undefined, ctx: EvaluationContext): { result: OfrepResult; evaluation: Evaluation } {
  const e = explain(flag, ctx);
  if (e.reason === 'FLAG_NOT_FOUND' || !flag) {
    return { evaluation: e, result: { key, errorCode: 'FLAG_NOT_FOUND', errorDetails: `flag "${key}" does not exist` } };
  }
  if (e.reason === 'ERROR') {
    const code: OfrepErrorCode = e.errorCode === 'TARGETING_KEY_MISSING' || e.errorCode === 'INVALID_CONTEXT' ? e.errorCode : 'GENERAL';
    const details =
      code === 'TARGETING_KEY_MISSING'
        ? `flag "${key}" is in a partial rollout: send a targetingKey (a non-empty string or a number) to be bucketed`
        : `flag "${key}" could not be evaluated for this context (${e.errorCode ?? 'GENERAL'})`;
    return { evaluation: e, result: { key, errorCode: code, errorDetails: details } };
  }
  const metadata: OfrepSuccess['metadata'] = { switchyardReason: e.reason };
  if (e.flagVersion !== undefined) metadata.flagVersion = e.flagVersion;
  if (e.bucket !== undefined) metadata.bucket = e.bucket;
  const reason = ofrepReason(e.reason, flag.rules !== null, e.bucket !== undefined);
  return { evaluation: e, result: { key, value: e.value, reason, variant: e.reason === 'ROLLOUT_IN' ? 'on' : 'off', metadata } };
}

/** The HTTP status of a single-flag answer: 200, 404 for FLAG_NOT_FOUND, else 400. */
export function statusOf(r: OfrepResult): number {
  if (!('errorCode' in r)) return 200;
  return r.errorCode === 'FLAG_NOT_FOUND' ? 404 : 400;
}

/** JSON with object keys sorted at every depth: two contexts that differ only in key order are one. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x === undefined ? null : x)).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The bulk answer's ETag: the state version and a digest of the canonical context, quoted. */
export function bulkEtag(stateVersion: number, ctx: unknown): string {
  const digest = crypto.createHash('sha256').update(canonicalJson(ctx ?? {})).digest('base64url').slice(0, 22);
  return `"${stateVersion}-${digest}"`;
}

/** `If-None-Match` holds this tag (or `W/` of it). `*` never matches: it names no version, and a 304 to it would hide a kill. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim();
    return tag === etag || tag === `W/${etag}`;
  });
}
