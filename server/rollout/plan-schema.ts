import { z } from 'zod';
import type { Gate, GatesView, SignoffSnapshot } from '@switchyard-flags/sdk/api';
import type { CohortOp, CohortRule } from '@switchyard-flags/sdk/protocol';
import { reasonSchema, text, versionSchema } from '../validation.js';
import { checkSchema, metricRangesSchema, type MetricRanges } from './check-schema.js';

export { COMPARISONS, isRelative, type Check, type Comparison, type RelativeCheck } from './check-schema.js';

const COHORT_OPS = [
  'eq', 'neq', 'in', 'not_in', 'starts_with', 'ends_with', 'contains',
  'lt', 'lte', 'gt', 'gte', 'semver_eq', 'semver_lt', 'semver_lte', 'semver_gt', 'semver_gte',
] as const satisfies readonly CohortOp[];
const LIST_OPS = new Set<string>(['in', 'not_in']);
const STRING_OPS = new Set<string>(['starts_with', 'ends_with', 'contains', 'semver_eq', 'semver_lt', 'semver_lte', 'semver_gt', 'semver_gte']);
const NUMERIC_OPS = new Set<string>(['lt', 'lte', 'gt', 'gte']);

const cohortRuleSchema = z
  .strictObject({
    attr: text(100, 'attr'),
    op: z.enum(COHORT_OPS, { error: `op must be one of: ${COHORT_OPS.join(', ')}` }),
    values: z.array(z.union([z.string().max(500), z.number(), z.boolean()])).min(1, 'values needs at least one operand').max(500),
  })
  .superRefine((r, ctx) => {
    if (!LIST_OPS.has(r.op) && r.values.length !== 1) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `${r.op} takes exactly one value` });
    } else if (STRING_OPS.has(r.op) && typeof r.values[0] !== 'string') {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `${r.op} compares strings: its value must be a string` });
    } else if (NUMERIC_OPS.has(r.op) && typeof r.values[0] !== 'number') {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `${r.op} compares numbers: its value must be a number` });
    }
  });

/** A year: the longest soak a stage may ask of the environment before it. */
export const MAX_REQUIRE_PREVIOUS_MINUTES = 525_600;

/**
 * `requirePrevious` on a stage: the environment before this one (by `order`) must have held the
 * stage's percentage, unkilled and unpaused, for `soakMinutes` before this one may enter the stage
 * (server/environments/soak-progress.ts judges it; docs/rollouts.md).
 */
const requirePreviousSchema = z.strictObject({
  soakMinutes: z
    .number({ error: 'requirePrevious.soakMinutes must be a number of minutes' })
    .int('requirePrevious.soakMinutes must be a whole number of minutes')
    .min(1, 'requirePrevious.soakMinutes must be at least 1')
    .max(MAX_REQUIRE_PREVIOUS_MINUTES, `requirePrevious.soakMinutes must be at most ${MAX_REQUIRE_PREVIOUS_MINUTES} (a year)`),
});

const isoDate = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-12-01T09:00:00Z' });

const stageSchema = z.strictObject({
  name: text(100, 'name').optional(),
  percent: z
    .number()
    .gt(0, 'percent must be above 0 (stage 0 is "not started" and is not listed)')
    .max(100, 'percent must be at most 100')
    .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-9, 'percent has at most 2 decimals (buckets are 0.01%)'),
  signoffs: z.number().int().min(1, 'every stage needs at least 1 PM sign-off').max(10).default(1),
  soakMinutes: z.number().int().min(0).max(366 * 24 * 60).default(0),
  plannedAt: isoDate.transform((s) => new Date(s).toISOString()).optional(),
  autoAdvance: z.boolean().default(false),
  /** Percent of connected SDKs that must have applied this stage's state before the next advance (default 99). */
  minApplied: z.number().min(0, 'minApplied is a percent from 0 to 100').max(100, 'minApplied is a percent from 0 to 100').optional(),
  checks: z.array(checkSchema).max(20, 'at most 20 checks per stage').default([]),
  requirePrevious: requirePreviousSchema.optional(),
});

const DEFAULT_STAGES = [5, 25, 100].map((percent) => ({ percent, signoffs: 1, soakMinutes: 0, autoAdvance: false, checks: [] }));

export const putPlanSchema = z
  .strictObject({
    cohort: z.array(cohortRuleSchema).max(50, 'at most 50 cohort rules').default([]),
    stages: z.array(stageSchema).min(1, 'a plan needs at least one stage').max(20, 'at most 20 stages').default(DEFAULT_STAGES),
    webhookUrl: z.url({ protocol: /^https?$/, error: 'webhookUrl must be an http(s) URL' }).max(2000).optional(),
    /** The range each metric's values are in (`{eval_score: {min: 0, max: 1}}`): samples outside are refused with 400. */
    metrics: metricRangesSchema.optional(),
    version: versionSchema.optional(),
    reason: reasonSchema.optional(),
  })
  .superRefine((p, ctx) => {
    for (let i = 1; i < p.stages.length; i++) {
      if (p.stages[i]!.percent <= p.stages[i - 1]!.percent) {
        ctx.addIssue({ code: 'custom', path: ['stages', i, 'percent'], message: `stage percentages must strictly increase (${p.stages[i - 1]!.percent} then ${p.stages[i]!.percent})` });
      }
    }
    const last = p.stages[p.stages.length - 1];
    if (last && last.percent !== 100) {
      ctx.addIssue({ code: 'custom', path: ['stages', p.stages.length - 1, 'percent'], message: 'the last stage must be 100%' });
    }
  });
export type PutPlanInput = z.output<typeof putPlanSchema>;

export type Stage = z.output<typeof stageSchema>;

/** The plan as stored in `flags.plan` and `plan_versions.plan`; compatible with flag-view's PlanShape. */
export interface Plan {
  cohort: CohortRule[];
  stages: Stage[];
  webhookUrl?: string;
  /** Declared metric ranges (server/samples/sample-bounds.ts). */
  metrics?: MetricRanges;
  /** Views and audit entries only (webhook-url.ts), never stored. */
  webhookUrlHash?: string;
}

export function planOf(input: PutPlanInput): Plan {
  return {
    cohort: input.cohort as CohortRule[],
    stages: input.stages,
    ...(input.webhookUrl ? { webhookUrl: input.webhookUrl } : {}),
    ...(input.metrics && Object.keys(input.metrics).length > 0 ? { metrics: input.metrics } : {}),
  };
}

export function storedPlan(json: string | null): Plan | null {
  return json === null ? null : (JSON.parse(json) as Plan);
}

export const signoffSchema = z.strictObject({
  comment: text(1000, 'comment'),
  /** The plan version the PM reviewed; a newer one is a 409 (optional). */
  planVersion: z.number().int().positive().optional(),
  /** The stage the PM means to approve; anything but the next stage is a 409 (optional). */
  stage: z.number().int().positive().optional(),
  /** The evidence the PM reviewed (`snapshotId` of GET /gates), required (issue 20): if it moved since, a 409 evidence_changed. */
  snapshotId: z
    .string({ error: 'snapshotId is required: the evidence you reviewed, as GET /api/flags/:key/gates returned it (snapshotId)' })
    .regex(/^[0-9a-f]{12}$/, 'snapshotId is the 12 hex characters GET /api/flags/:key/gates returned'),
});

export const advanceSchema = z.strictObject({
  reason: reasonSchema.optional(),
  version: versionSchema.optional(),
  /** The stage the caller means to reach; anything but current + 1 is a 409 (optional). */
  toStage: z.number().int().positive().optional(),
});

export const rollbackSchema = z.strictObject({
  reason: reasonSchema,
  version: versionSchema.optional(),
  toStage: z.number().int().min(0).optional(),
});

export const pauseSchema = z.strictObject({
  reason: reasonSchema,
  version: versionSchema.optional(),
});

/** `Gate` (sdk/src/api.ts): one condition on entering the next stage, and why it holds or not. Gate-specific figures ride along. */
export const gateSchema = z.looseObject({
  gate: z.enum(['state', 'signoff', 'metric', 'soak', 'schedule', 'convergence', 'previous']),
  ok: z.boolean(),
  detail: z.string(),
  metric: z.string().optional(),
  observed: z.number().nullable().optional(),
  threshold: z.number().nullable().optional(),
}).meta({ id: 'Gate' }) satisfies z.ZodType<Gate>;

/** `SignoffSnapshot` (sdk/src/api.ts): the gate evidence a sign-off is given on. */
export const signoffSnapshotSchema = z.strictObject({
  planVersion: z.number().int(),
  checks: z.array(z.strictObject({
    metric: z.string(),
    outcome: z.enum(['pass', 'breach', 'inconclusive']),
    estimate: z.number().nullable(),
    interval: z.tuple([z.number(), z.number()]).nullable(),
    n: z.number().int(),
  })),
}).meta({ id: 'SignoffSnapshot' }) satisfies z.ZodType<SignoffSnapshot>;

/** `GatesView` (sdk/src/api.ts): `GET /api/flags/:key/gates`. */
export const gatesViewSchema = z.strictObject({
  flag: z.string(),
  stage: z.number().int(),
  percent: z.number(),
  planVersion: z.number().int(),
  flagVersion: z.number().int(),
  nextStage: z.number().int().nullable(),
  nextPercent: z.number().nullable(),
  gates: z.array(gateSchema),
  ready: z.boolean(),
  note: z.string().optional(),
  snapshot: signoffSnapshotSchema.nullable().optional(),
  snapshotId: z.string().nullable().optional(),
}).meta({ id: 'GatesView' }) satisfies z.ZodType<GatesView>;
