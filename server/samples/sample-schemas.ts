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
 * into the moments the running aggregates merge (count, mean and M2 = Σ(x − mean)²); `value` is
 * then the mean. Bounds (the metric's range, the spread it allows, MAX_SAMPLE_COUNT) are checked
 * by the service (sample-bounds.ts), which knows the declared ranges.
 */
export const sampleSchema = z
  .strictObject({
    flag: flagKeySchema,
    /** The environment the sample was measured in (issue 23); absent: DEFAULT_ENVIRONMENT (`production`). */
    environment: z.string({ error: 'environment must be an environment key such as "staging"' }).regex(/^[a-z][a-z0-9-]{0,31}$/, 'environment must be an environment key such as "staging"').optional(),
    metric: metricNameSchema,
    value: finite('value').optional(),
    count: z.number({ error: 'count must be an integer >= 1' }).int('count must be an integer >= 1').min(1, 'count must be an integer >= 1').max(Number.MAX_SAFE_INTEGER, 'count must be a safe integer').optional(),
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
  .transform((s): SampleInput => {
    const base = { flag: s.flag, metric: s.metric, cohort: s.cohort, ...(s.at !== undefined ? { at: s.at } : {}), ...(s.environment !== undefined ? { environment: s.environment } : {}) };
    if (s.value !== undefined) return { ...base, form: 'value', value: s.value };
    const n = s.count!;
    if (s.mean !== undefined) {
      const sd = s.stddev!;
      return { ...base, form: 'moments', value: s.mean, count: n, m2: n > 1 ? (n - 1) * sd * sd : 0, stddev: sd };
    }
    const mean = s.sum! / n;
    // The spread of {count, sum, sumSq} as sent: its rounding is the sender's (clamped at 0).
    const m2 = n > 1 ? Math.max(0, s.sumSq! - s.sum! * mean) : 0;
    return { ...base, form: 'sums', value: mean, count: n, m2, stddev: n > 1 ? Math.sqrt(m2 / (n - 1)) : 0 };
  });
/** A parsed sample: a single `value`, or an aggregate (its mean as `value`, with count, M2 and stddev). */
export interface SampleInput {
  flag: string;
  /** The environment named in the sample; absent: DEFAULT_ENVIRONMENT. */
  environment?: string;
  metric: string;
  /** Which form was sent (the bounds name its fields); absent: `value`, or `moments` with a count. */
  form?: 'value' | 'moments' | 'sums';
  value: number;
  cohort: 'treatment' | 'control';
  at?: string;
  count?: number;
  /** Σ(x − mean)² of an aggregate. */
  m2?: number;
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

/** A parsed sample's M2: as parsed, or from its count and stddev (a service caller may send those only). */
export function m2Of(s: SampleInput): number {
  const n = s.count ?? 1;
  if (s.m2 !== undefined) return s.m2;
  return n > 1 ? (n - 1) * (s.stddev ?? 0) ** 2 : 0;
}
