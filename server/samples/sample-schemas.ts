import { z } from 'zod';
import { flagKeySchema } from '../validation.js';

/** snake_case, as reporters send them: `eval_score`, `p95_latency_ms`. */
export const metricNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'metric must be a snake_case name of at most 64 characters (a-z, 0-9, _), starting with a letter');

export const MAX_BATCH = 1000;

const finite = (name: string) => z.number({ error: `${name} must be a finite number` }).refine(Number.isFinite, `${name} must be a finite number`);

/** Relative tolerance of the consistency checks on `{count, sum, sumSq}` (floating-point rounding). */
const SUMS_TOLERANCE = 1e-9;

/**
 * One observation `{value}`, or an aggregate an evaluation job or a pipeline sends at once:
 * `{count, mean, stddev}` (stddev with the n − 1 denominator) or `{count, sum, sumSq}`. Parsed
 * into the moments the running aggregates add up exactly (count, sum, sum of squares); `value`
 * is then the mean.
 */
export const sampleSchema = z
  .strictObject({
    flag: flagKeySchema,
    metric: metricNameSchema,
    value: finite('value').optional(),
    count: z.number({ error: 'count must be an integer >= 1' }).int('count must be an integer >= 1').min(1, 'count must be an integer >= 1').max(1e12, 'count must be at most 1e12').optional(),
    mean: finite('mean').optional(),
    stddev: finite('stddev').min(0, 'stddev must be >= 0').optional(),
    sum: finite('sum').optional(),
    sumSq: finite('sumSq').min(0, 'sumSq must be >= 0').optional(),
    cohort: z.enum(['treatment', 'control'], { error: 'cohort must be "treatment" or "control"' }).default('treatment'),
    at: z.iso.datetime({ offset: true, error: 'at must be an ISO 8601 date-time, e.g. 2026-12-01T09:00:00Z' }).optional(),
  })
  .superRefine((s, ctx) => {
    const single = s.value !== undefined;
    const moments = s.mean !== undefined || s.stddev !== undefined;
    const sums = s.sum !== undefined || s.sumSq !== undefined;
    const forms = [single, moments, sums].filter(Boolean).length;
    const say = (message: string, path: string[] = []) => ctx.addIssue({ code: 'custom', path, message });
    if (forms !== 1 || (single && s.count !== undefined)) {
      return say('a sample is one of {value}, {count, mean, stddev} or {count, sum, sumSq}');
    }
    if (single) return;
    if (s.count === undefined) return say('an aggregate sample needs count', ['count']);
    if (moments) {
      if (s.mean === undefined || s.stddev === undefined) return say('an aggregate sample {count, mean, stddev} needs all three');
      if (s.count === 1 && s.stddev !== 0) say('one observation has no spread: with count 1, stddev must be 0', ['stddev']);
      return;
    }
    if (s.sum === undefined || s.sumSq === undefined) return say('an aggregate sample {count, sum, sumSq} needs all three');
    const spread = s.sumSq - (s.sum * s.sum) / s.count;
    const tol = SUMS_TOLERANCE * Math.max(1, s.sumSq);
    if (spread < -tol) say(`sumSq ${s.sumSq} is below sum²/count (${(s.sum * s.sum) / s.count}): no set of ${s.count} numbers has these sums`, ['sumSq']);
    else if (s.count === 1 && Math.abs(spread) > tol) say('with count 1, sumSq must equal sum²', ['sumSq']);
  })
  .transform((s) => {
    const base = { flag: s.flag, metric: s.metric, cohort: s.cohort, ...(s.at !== undefined ? { at: s.at } : {}) };
    if (s.value !== undefined) return { ...base, value: s.value };
    const n = s.count!;
    if (s.mean !== undefined) {
      const sd = s.stddev!;
      return { ...base, value: s.mean, count: n, sum: n * s.mean, sumSq: (n - 1) * sd * sd + n * s.mean * s.mean, stddev: sd };
    }
    const variance = n > 1 ? Math.max(0, (s.sumSq! - (s.sum! * s.sum!) / n) / (n - 1)) : 0;
    return { ...base, value: s.sum! / n, count: n, sum: s.sum!, sumSq: s.sumSq!, stddev: Math.sqrt(variance) };
  });
/** A parsed sample: a single `value`, or an aggregate (its mean as `value`, with count, sum, sumSq, stddev). */
export interface SampleInput {
  flag: string;
  metric: string;
  value: number;
  cohort: 'treatment' | 'control';
  at?: string;
  count?: number;
  sum?: number;
  sumSq?: number;
  stddev?: number;
}

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
