import type { Actor } from '../actor.js';
import { Forbidden, ValidationError } from '../errors.js';
import { m2Of, type SampleInput } from './sample-schemas.js';

/**
 * The bounds every number of a metric sample must hold (issue 20 #2, #3), so one sample cannot
 * poison a stage's evidence. Pure.
 *
 * - Every value and mean is within the metric's range: the range a plan declares for it
 *   (`metrics: {eval_score: {min: 0, max: 1}}`), or ±VALUE_BOUND for any metric.
 * - A spread fits that range: values in [a, b] with mean μ have a sample variance of at most
 *   (μ − a)(b − μ)·n/(n − 1) (the Bhatia–Davis inequality with the n − 1 denominator), so a
 *   `{count: 2, mean: 0, stddev: 1e200}` is refused rather than folded into the stage.
 * - One sample claims at most `maxCount` observations (MAX_SAMPLE_COUNT).
 *
 * And a token's `flags` claim scopes which flags it may report for.
 */
export const VALUE_BOUND = 1e12;

export interface MetricRange {
  min: number;
  max: number;
}

export const DEFAULT_RANGE: MetricRange = { min: -VALUE_BOUND, max: VALUE_BOUND };

/** One observation count per sample by default (MAX_SAMPLE_COUNT). */
export const DEFAULT_MAX_SAMPLE_COUNT = 1_000_000;

export interface BoundIssue {
  /** The field of the sample as it was sent: `value`, `mean` or `sum`; `stddev` or `sumSq`; `count`. */
  field: string;
  message: string;
}

/** 1e+12 rather than 1000000000000; 0.25 as it is. */
export function num(x: number): string {
  return Math.abs(x) >= 1e6 ? x.toExponential() : String(Number(x.toPrecision(6)));
}

const RELATIVE_SLACK = 1e-9;

/** What is wrong with one parsed sample against its metric's range (declared, or the default) and the count bound; null when nothing. */
export function boundIssue(s: SampleInput, declared: MetricRange | undefined, maxCount: number): BoundIssue | null {
  const n = s.count ?? 1;
  if (n > maxCount) return { field: 'count', message: `count ${n} is more than one sample may claim (MAX_SAMPLE_COUNT ${maxCount})` };
  const range = declared ?? DEFAULT_RANGE;
  const where = declared ? `${s.metric}'s declared range [${num(range.min)}, ${num(range.max)}]` : `[${num(range.min)}, ${num(range.max)}], the bounds of any metric value`;
  const form = s.form ?? (s.count === undefined ? 'value' : 'moments');
  const meanField = form === 'value' ? 'value' : form === 'moments' ? 'mean' : 'sum';
  const what = form === 'sums' ? 'mean (sum / count)' : meanField;
  if (!(s.value >= range.min && s.value <= range.max)) return { field: meanField, message: `${what} ${num(s.value)} is outside ${where}` };
  if (n < 2) return null;
  const sd = Math.sqrt(m2Of(s) / (n - 1));
  const most = Math.sqrt(Math.max(0, (s.value - range.min) * (range.max - s.value)) * (n / (n - 1)));
  if (!(sd <= most * (1 + RELATIVE_SLACK) + Number.MIN_VALUE)) {
    return {
      field: form === 'sums' ? 'sumSq' : 'stddev',
      message: `a standard deviation of ${num(sd)} is more than ${n} values in ${where} with mean ${num(s.value)} can have (at most ${num(most)})`,
    };
  }
  return null;
}

/** Where a sample's field is in the request: `samples.3.mean` in a batch, `mean` alone. */
export type SamplePath = (index: number, field: string) => string;

/** Throws a 400 `sample_out_of_bounds` naming the first sample out of its bounds, the field and the bound. */
export function refuseOutOfBounds(samples: SampleInput[], path: SamplePath, rangeOf: (s: SampleInput) => MetricRange | undefined, maxCount: number): void {
  for (const [i, s] of samples.entries()) {
    const issue = boundIssue(s, rangeOf(s), maxCount);
    if (!issue) continue;
    throw new ValidationError(`sample ${i}: ${issue.message}; nothing was stored`, [{ index: i, path: path(i, issue.field), message: issue.message }], 'sample_out_of_bounds');
  }
}

/**
 * A token minted for some environments (`switchyard token --role metrics --env staging`) reports
 * for those only: else a 403 `environment_out_of_scope`. `envOf` is a sample's environment (its default filled in).
 */
export function refuseOutOfEnvScope(actor: Actor, samples: SampleInput[], path: SamplePath, envOf: (s: SampleInput) => string): void {
  if (!actor.envs) return;
  const scope = new Set(actor.envs);
  const only = actor.envs.map((e) => `"${e}"`).join(', ');
  const outside = samples.flatMap((s, i) => (scope.has(envOf(s)) ? [] : [{ index: i, path: path(i, 'environment'), message: `this token may report for environment ${only} only` }]));
  if (outside.length === 0) return;
  const first = outside[0]!;
  throw new Forbidden(`sample ${first.index}: this token may report metrics for environment ${only} only, not for "${envOf(samples[first.index]!)}"; nothing was stored`, outside.slice(0, 100), 'environment_out_of_scope');
}

/** A token minted for some flags (`switchyard token --role metrics --flags a,b`) reports for those only: else a 403 `flag_out_of_scope`. */
export function refuseOutOfScope(actor: Actor, samples: SampleInput[], path: SamplePath): void {
  if (!actor.flags) return;
  const scope = new Set(actor.flags);
  const only = actor.flags.map((f) => `"${f}"`).join(', ');
  const outside = samples.flatMap((s, i) => (scope.has(s.flag) ? [] : [{ index: i, path: path(i, 'flag'), message: `this token may report for ${only} only` }]));
  if (outside.length === 0) return;
  const first = outside[0]!;
  throw new Forbidden(`sample ${first.index}: this token may report metrics for ${only} only, not for "${samples[first.index]!.flag}"; nothing was stored`, outside.slice(0, 100), 'flag_out_of_scope');
}
