import { z } from 'zod';
import type { ApiError, CohortRule, EvaluationReason, FlagState, Json, Propagation } from '@switchyard-flags/sdk/protocol';

/**
 * Any JSON value (a flag's `on`/`off`, an OFREP value): one shared, recursive `JsonValue`
 * component in the document, referred to everywhere (server/openapi/openapi-document.ts).
 */
export const jsonValueWire = z.json().meta({ id: 'JsonValue' }) satisfies z.ZodType<Json>;

/** The one error body every 4xx/5xx carries (server/errors.ts `errorHandler`). */
export const errorBodySchema = z.strictObject({
  error: z.strictObject({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
}).meta({ id: 'ApiError' }) satisfies z.ZodType<ApiError>;

/**
 * `Propagation` (sdk/src/protocol.ts): how far a flag's latest change has reached connected
 * SDKs. Here because the kill switch answers with it and the push layer computes it.
 */
export const propagationSchema = z.strictObject({
  key: z.string(),
  stateVersion: z.number().int(),
  connected: z.number().int(),
  applied: z.number().int(),
  pending: z.number().int(),
  slowestMs: z.number().nullable(),
  medianMs: z.number().nullable().optional(),
  unresponsive: z.number().int().optional().describe('SDKs closed in the last 5 minutes for not acknowledging within ACK_TIMEOUT_MS, not counted in connected (in a cluster: summed over the live replicas)'),
  replicas: z
    .array(
      z.strictObject({
        name: z.string(),
        connected: z.number().int(),
        acknowledged: z.number().int(),
        pending: z.number().int(),
        status: z.enum(['live', 'gone']),
        goneForMs: z.number().nullable(),
        unresponsive: z.number().int().optional().describe("this replica's SDKs closed as unresponsive (see unresponsive)"),
      }),
    )
    .optional()
    .describe("In a cluster: each replica's figures (the totals count the live ones; a gone replica shows the SDK count it last reported)"),
  ofrep: z.strictObject({
    streams: z.number().int(),
    fetchedSince: z.number().int(),
    lastFetchedVersion: z.number().int().nullable(),
    lastFetchedAt: z.string().nullable(),
  }).optional(),
}).meta({ id: 'Propagation' }) satisfies z.ZodType<Propagation>;

/** `CohortRule` (sdk/src/protocol.ts) as answers carry it: the plan's cohort, a flag state's. */
export const cohortRuleWire = z.strictObject({
  attr: z.string(),
  op: z.enum(['eq', 'neq', 'in', 'not_in', 'starts_with', 'ends_with', 'contains', 'lt', 'lte', 'gt', 'gte', 'semver_eq', 'semver_lt', 'semver_lte', 'semver_gt', 'semver_gte']),
  values: z.array(z.union([z.string(), z.number(), z.boolean()])),
}).meta({ id: 'CohortRule' }) satisfies z.ZodType<CohortRule>;

/** `FlagState` (sdk/src/protocol.ts): what SDKs evaluate, in the snapshot and the stream. */
export const flagStateWire = z.strictObject({
  key: z.string(),
  version: z.number().int(),
  on: jsonValueWire,
  off: jsonValueWire,
  salt: z.string(),
  killed: z.boolean(),
  paused: z.boolean(),
  stage: z.number().int(),
  percent: z.number(),
  cohort: z.array(cohortRuleWire),
  maxStaleSeconds: z.number().int().optional(),
}).meta({ id: 'FlagState' }) satisfies z.ZodType<FlagState>;

export const evaluationReasonWire = z.enum([
  'KILLED', 'COHORT_MISS', 'NOT_STARTED', 'ROLLOUT_IN', 'ROLLOUT_OUT', 'FLAG_NOT_FOUND', 'STALE', 'ERROR',
]) satisfies z.ZodType<EvaluationReason>;

