import { z } from 'zod';
import { flagKeySchema } from '../validation.js';

/** snake_case, as reporters send them: `eval_score`, `p95_latency_ms`. */
export const metricNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'metric must be a snake_case name of at most 64 characters (a-z, 0-9, _), starting with a letter');

export const MAX_BATCH = 1000;

export const sampleSchema = z.strictObject({
  flag: flagKeySchema,
  metric: metricNameSchema,
  value: z.number({ error: 'value must be a finite number' }).refine(Number.isFinite, 'value must be a finite number'),
  cohort: z.enum(['treatment', 'control'], { error: 'cohort must be "treatment" or "control"' }).default('treatment'),
  at: z.iso.datetime({ offset: true, error: 'at must be an ISO 8601 date-time, e.g. 2026-12-01T09:00:00Z' }).optional(),
});
export type SampleInput = z.output<typeof sampleSchema>;

export const batchSchema = z.strictObject({
  samples: z.array(sampleSchema).min(1, 'samples must hold at least one sample').max(MAX_BATCH, `at most ${MAX_BATCH} samples per request`),
});

const iso = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' });

export const metricsQuerySchema = z.strictObject({
  metric: z.union([metricNameSchema, z.array(metricNameSchema).max(20)]).optional(),
  since: iso.optional(),
  limit: z.string().regex(/^\d{1,4}$/, 'limit must be a number from 1 to 1000').optional(),
  after: metricNameSchema.optional(),
  pageSize: z.string().regex(/^\d{1,2}$/, 'pageSize must be a number from 1 to 50').optional(),
});
