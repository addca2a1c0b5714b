import { z } from 'zod';
import type { MetricCheck, PlanView, Signoff, SignoffsView } from '@switchyard-flags/sdk/api';
import type { EvaluationContext } from '@switchyard-flags/sdk/protocol';
import { flagViewSchema } from '../flags/flag-schemas.js';
import { cohortRuleWire, evaluationReasonWire, jsonValueWire } from '../http/schemas.js';
import { gateSchema, signoffSnapshotSchema } from './plan-schema.js';
import type { PreviewResult } from './rollout-service.js';

// What the rollout routes answer: the wire types of sdk/src/api.ts as zod (each `satisfies` its
// type, and the route's handler is checked against it), for the OpenAPI document and the
// response validator.

const checkWire = z.strictObject({
  metric: z.string(),
  op: z.enum(['<=', '<', '>=', '>']).optional(),
  threshold: z.number().optional(),
  maxDropPct: z.number().optional(),
  baseline: z.number().optional(),
  guardrail: z.boolean().optional(),
  onBreach: z.enum(['pause', 'kill']).optional(),
  confidence: z.number().optional(),
  minSamples: z.number().int().optional(),
  tripOnAny: z.boolean().optional(),
}) satisfies z.ZodType<MetricCheck>;

const stageWire = z.strictObject({
  name: z.string().optional(),
  percent: z.number(),
  signoffs: z.number().int().optional(),
  soakMinutes: z.number().int().optional(),
  plannedAt: z.string().optional(),
  autoAdvance: z.boolean().optional(),
  minApplied: z.number().optional(),
  checks: z.array(checkWire).optional(),
  requirePrevious: z.strictObject({ soakMinutes: z.number().int() }).optional(),
});

/** `PlanView` (sdk/src/api.ts): `GET /api/flags/:key/plan`. */
export const planViewSchema = z.strictObject({
  flag: z.string(),
  version: z.number().int(),
  author: z.string().nullable(),
  createdAt: z.string().nullable(),
  plan: z.strictObject({
    cohort: z.array(cohortRuleWire),
    stages: z.array(stageWire),
    webhookUrl: z.string().optional(),
    webhookUrlHash: z.string().optional(),
    metrics: z.record(z.string(), z.strictObject({ min: z.number(), max: z.number() })).optional(),
  }).nullable(),
  stage: z.number().int(),
  percent: z.number(),
}).meta({ id: 'PlanView' }) satisfies z.ZodType<PlanView>;

/** `PUT /api/flags/:key/plan`: the flag, the plan written, and whether anything changed. */
export const planPutResultSchema = z.strictObject({ flag: flagViewSchema, plan: planViewSchema, changed: z.boolean() });

/** `Signoff` (sdk/src/api.ts). */
export const signoffWire = z.strictObject({
  id: z.number().int(),
  planVersion: z.number().int(),
  stage: z.number().int(),
  actor: z.string(),
  comment: z.string(),
  at: z.string(),
  snapshot: signoffSnapshotSchema.nullable(),
  snapshotId: z.string().nullable(),
  lapsedAt: z.string().optional(),
  lapseReason: z.string().optional(),
}).meta({ id: 'Signoff' }) satisfies z.ZodType<Signoff>;

/** `SignoffsView` (sdk/src/api.ts): `GET /api/flags/:key/signoffs`. */
export const signoffsViewSchema = z.strictObject({
  flag: z.string(),
  planVersion: z.number().int(),
  stage: z.number().int(),
  nextStage: z.number().int().nullable(),
  signoffs: z.array(signoffWire),
  lapsed: z.array(signoffWire),
}) satisfies z.ZodType<SignoffsView>;

/** `POST /api/flags/:key/signoffs`: the sign-off, the sign-off gate as it now stands, and a note. */
export const signoffResultSchema = z.strictObject({ signoff: signoffWire, gate: gateSchema, note: z.string().optional() });

/** `PreviewResult` (rollout-service.ts): the evaluation of a context, at the flag's current or a given stage. */
export const previewResultSchema = z.strictObject({
  flag: z.string(),
  stage: z.number().int(),
  percent: z.number(),
  context: z.record(z.string(), z.unknown()) satisfies z.ZodType<EvaluationContext>,
  value: jsonValueWire,
  reason: evaluationReasonWire,
  bucket: z.number().int().optional(),
  errorCode: z.enum(['FLAG_NOT_FOUND', 'TARGETING_KEY_MISSING', 'INVALID_CONTEXT', 'GENERAL']).optional(),
  flagVersion: z.number().int().optional(),
}) satisfies z.ZodType<PreviewResult>;
