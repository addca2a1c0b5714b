import { z } from 'zod';
import { num, VALUE_BOUND } from '../samples/sample-bounds.js';
import { metricNameSchema } from '../samples/sample-schemas.js';
import { DEFAULT_CONFIDENCE, DEFAULT_MIN_SAMPLES } from './sequential.js';

/** One metric check of a stage: absolute or relative, with its statistics settings and guardrail role. */
export const COMPARISONS = ['<=', '<', '>=', '>'] as const;
export type Comparison = (typeof COMPARISONS)[number];

export const checkSchema = z
  .strictObject({
    metric: metricNameSchema,
    op: z.enum(COMPARISONS).optional(),
    threshold: z.number().optional(),
    maxDropPct: z.number().min(0).max(100).optional(),
    baseline: z.number().positive('baseline must be above 0 (a relative drop of a zero baseline means nothing)').optional(),
    /** Confidence of the check's sequence, every look together (default 0.95). */
    confidence: z.number().min(0.5, 'confidence must be at least 0.5').max(0.999, 'confidence must be at most 0.999').optional(),
    /** Samples (per cohort) before anything but inconclusive (default 30). */
    minSamples: z.number().int('minSamples must be an integer').min(2, 'minSamples must be at least 2 (one sample says nothing about the spread)').max(1_000_000).optional(),
    guardrail: z.boolean().default(false),
    onBreach: z.enum(['pause', 'kill']).optional(),
    /** A hard cap: the guardrail trips on any single sample that breaks it, not on the evidence. */
    tripOnAny: z.boolean().optional(),
  })
  .superRefine((c, ctx) => {
    const absolute = c.op !== undefined || c.threshold !== undefined;
    const relative = c.maxDropPct !== undefined || c.baseline !== undefined;
    if (absolute === relative) {
      ctx.addIssue({ code: 'custom', path: [], message: 'a check is either absolute ({metric, op, threshold}) or relative ({metric, maxDropPct, baseline?})' });
    } else if (absolute && (c.op === undefined || c.threshold === undefined)) {
      ctx.addIssue({ code: 'custom', path: [c.op === undefined ? 'op' : 'threshold'], message: 'an absolute check needs both op and threshold' });
    } else if (relative && c.maxDropPct === undefined) {
      ctx.addIssue({ code: 'custom', path: ['maxDropPct'], message: 'a relative check needs maxDropPct' });
    }
    if (c.onBreach !== undefined && !c.guardrail) {
      ctx.addIssue({ code: 'custom', path: ['onBreach'], message: 'onBreach applies to guardrails only: add "guardrail": true' });
    }
    if (c.tripOnAny !== undefined && !c.guardrail) {
      ctx.addIssue({ code: 'custom', path: ['tripOnAny'], message: 'tripOnAny applies to guardrails only: add "guardrail": true' });
    }
  })
  .transform((c) => {
    const base = {
      metric: c.metric,
      confidence: c.confidence ?? DEFAULT_CONFIDENCE,
      minSamples: c.minSamples ?? DEFAULT_MIN_SAMPLES,
      guardrail: c.guardrail,
      ...(c.guardrail ? { onBreach: c.onBreach ?? 'pause' } : {}),
      ...(c.guardrail && c.tripOnAny ? { tripOnAny: true } : {}),
    };
    return c.maxDropPct !== undefined
      ? { ...base, maxDropPct: c.maxDropPct, ...(c.baseline !== undefined ? { baseline: c.baseline } : {}) }
      : { ...base, op: c.op!, threshold: c.threshold! };
  });

export type Check = z.output<typeof checkSchema>;
export type RelativeCheck = Extract<Check, { maxDropPct: number }>;

export function isRelative(c: Check): c is RelativeCheck {
  return 'maxDropPct' in c;
}

const bounded = (name: string) =>
  z.number({ error: `${name} must be a number` }).min(-VALUE_BOUND, `${name} must be at least ${num(-VALUE_BOUND)}`).max(VALUE_BOUND, `${name} must be at most ${num(VALUE_BOUND)}`);

/** The range a metric's values are in, declared by the plan: samples outside it are refused (sample-bounds.ts). */
export const metricRangeSchema = z
  .strictObject({ min: bounded('min'), max: bounded('max') })
  .refine((r) => r.min < r.max, { message: 'a metric range needs min below max', path: ['max'] });

export const metricRangesSchema = z
  .record(metricNameSchema, metricRangeSchema)
  .refine((m) => Object.keys(m).length <= 50, 'at most 50 metric ranges per plan');

export type MetricRanges = z.output<typeof metricRangesSchema>;
