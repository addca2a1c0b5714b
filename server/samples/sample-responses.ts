import { z } from 'zod';
import type { MetricsView } from '@switchyard-flags/sdk/api';
import type { IngestResult } from './sample-service.js';

// What the metric-sample routes answer, as zod (each `satisfies` its type; the route's handler
// is checked against it), for the OpenAPI document and the response validator.

const sampleWire = z.strictObject({
  flag: z.string(),
  metric: z.string(),
  value: z.number(),
  cohort: z.enum(['treatment', 'control']),
  at: z.string(),
  count: z.number().optional(),
  stddev: z.number().optional(),
});

/** `POST /api/metrics`: how many samples were stored, and the guardrails they tripped. */
export const ingestResultSchema = z.strictObject({
  stored: z.number().int(),
  tripped: z.array(z.strictObject({
    flag: z.string(),
    metric: z.string(),
    effect: z.enum(['pause', 'kill']),
    detail: z.string(),
    sample: sampleWire.optional(),
    evidence: z.strictObject({
      outcome: z.literal('breach'),
      estimate: z.number().nullable(),
      interval: z.tuple([z.number(), z.number()]).nullable(),
      n: z.number().int(),
      controlN: z.number().int().optional(),
      confidence: z.number(),
    }).optional(),
    auditSeq: z.number().int().optional(),
    killId: z.string().optional(),
  })),
  uncounted: z.number().int().optional(),
}) satisfies z.ZodType<IngestResult>;

const cohortStats = z.strictObject({ count: z.number(), mean: z.number(), min: z.number(), max: z.number() }).nullable();

/** `MetricsView` (sdk/src/api.ts): one page of a flag's metric series. */
export const metricsViewSchema = z.strictObject({
  flag: z.string(),
  stage: z.number().int(),
  since: z.string(),
  metrics: z.array(z.strictObject({
    metric: z.string(),
    treatment: cohortStats,
    control: cohortStats,
    samples: z.array(z.strictObject({
      at: z.string(),
      value: z.number(),
      cohort: z.string(),
      stage: z.number().int(),
      count: z.number().optional(),
      stddev: z.number().optional(),
    })),
    truncated: z.boolean(),
  })),
  next: z.string().nullable(),
}) satisfies z.ZodType<MetricsView>;
