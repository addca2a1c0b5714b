import { EMPTY_MOMENTS, mergeMoments, momentsOf, type Moments } from '../samples/sample-moments.js';
import type { Comparison } from './check-schema.js';

export type { Moments };

/**
 * The statistics of a metric check: always-valid (anytime) confidence sequences from running
 * aggregates, so a gate may look again after every batch of samples without inflating its error.
 * Pure: no I/O, no state. The maths, its assumptions and references: docs/rollouts.md,
 * "The statistics of a metric check".
 */

/** An aggregate a pipeline sends at once; `stddev` is the sample standard deviation (n − 1). */
export interface AggregateSample {
  count: number;
  mean: number;
  stddev: number;
}

export type Outcome = 'pass' | 'breach' | 'inconclusive';

export interface SequentialOptions {
  /** Confidence of the whole sequence (every look together), default 0.95. */
  confidence?: number;
  /** Below this many samples (per cohort) the outcome is always inconclusive, default 30. */
  minSamples?: number;
  /** The sample count at which the boundary is tuned to be tightest, default 500. */
  plannedSamples?: number;
}

export interface CheckResult {
  outcome: Outcome;
  /** The mean (absolute check) or the relative difference treatment/baseline − 1 (relative check). */
  estimate: number;
  lower: number;
  upper: number;
  /** Treatment samples. */
  n: number;
  reason: string;
}

export const DEFAULT_CONFIDENCE = 0.95;
export const DEFAULT_MIN_SAMPLES = 30;
export const DEFAULT_PLANNED_SAMPLES = 500;

export const EMPTY: Moments = EMPTY_MOMENTS;

/** Folds `{count, mean, stddev}` into moments exactly: mean, and M2 = (n − 1)·sd². */
export function fromAggregate(a: AggregateSample): Moments {
  // The edge validates with zod; this guards the maths against a caller that did not.
  if (!(Number.isInteger(a.count) && a.count >= 1)) throw new RangeError(`count must be an integer >= 1, got ${a.count}`);
  if (!Number.isFinite(a.mean) || !Number.isFinite(a.stddev) || a.stddev < 0) throw new RangeError('mean and stddev must be finite numbers, stddev >= 0');
  return momentsOf(a.count, a.mean, a.stddev);
}

export function fromValue(value: number): Moments {
  return { n: 1, mean: value, m2: 0 };
}

/** Both sets of samples as one (Chan's parallel Welford merge: sample-moments.ts). */
export function addMoments(a: Moments, b: Moments): Moments {
  return mergeMoments(a, b);
}

/** The sample variance (n − 1); 0 for fewer than two samples; never negative from rounding. */
export function sampleVariance(m: Moments): number {
  if (m.n < 2) return 0;
  return Math.max(0, m.m2 / (m.n - 1));
}

/** The mixing precision that makes the boundary (nearly: within 0.5%, tested) tightest at intrinsic time `v`. */
export function mixtureRho(v: number, alpha: number): number {
  const l = 2 * Math.log(1 / alpha);
  return v / (l + Math.log(1 + l));
}

/**
 * The two-sided normal-mixture boundary: with probability ≥ 1 − alpha, for every t at once,
 * |S_t| < sqrt((V_t + ρ) · log((V_t + ρ) / (ρ · alpha²))), where S_t = Σ(x_i − μ) and V_t = t·σ².
 */
export function mixtureRadius(v: number, rho: number, alpha: number): number {
  return Math.sqrt((v + rho) * Math.log((v + rho) / (rho * alpha * alpha)));
}

function alphaOf(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  return 1 - confidence;
}

export interface MeanSequence {
  estimate: number;
  lower: number;
  upper: number;
  n: number;
  stddev: number;
}

/** The confidence sequence for a mean at level `alpha`, with σ estimated from the moments (plug-in). */
export function meanSequence(m: Moments, alpha: number, plannedSamples = DEFAULT_PLANNED_SAMPLES): MeanSequence {
  const mean = m.n > 0 ? m.mean : NaN;
  // One sample says nothing about the spread: no interval until there are two.
  if (m.n < 2) return { estimate: mean, lower: -Infinity, upper: Infinity, n: m.n, stddev: NaN };
  const sd = Math.sqrt(sampleVariance(m));
  // In units of σ: V_t = n, ρ tuned for `plannedSamples`; the radius of the mean is σ·r(n)/n.
  const half = (sd * mixtureRadius(m.n, mixtureRho(plannedSamples, alpha), alpha)) / m.n;
  return { estimate: mean, lower: mean - half, upper: mean + half, n: m.n, stddev: sd };
}

function num(x: number): string {
  return String(Number(x.toPrecision(4)));
}

function interval(lo: number, hi: number, pct = false): string {
  const f = pct ? (x: number) => `${num(x * 100)}%` : num;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return 'unbounded';
  return `[${f(lo)}, ${f(hi)}]`;
}

function opts(o: SequentialOptions): { alpha: number; minSamples: number; planned: number; pct: string } {
  const confidence = o.confidence ?? DEFAULT_CONFIDENCE;
  return { alpha: alphaOf(confidence), minSamples: o.minSamples ?? DEFAULT_MIN_SAMPLES, planned: o.plannedSamples ?? DEFAULT_PLANNED_SAMPLES, pct: `${num(confidence * 100)}%` };
}

function holds(x: number, op: Comparison, t: number): boolean {
  return op === '<=' ? x <= t : op === '<' ? x < t : op === '>=' ? x >= t : x > t;
}

/** An absolute check (`mean op threshold`): pass when the whole interval holds, breach when none of it does. */
export function absoluteCheck(m: Moments, op: Comparison, threshold: number, o: SequentialOptions = {}): CheckResult {
  const { alpha, minSamples, planned, pct } = opts(o);
  const cs = meanSequence(m, alpha, planned);
  const base = { estimate: cs.estimate, lower: cs.lower, upper: cs.upper, n: cs.n };
  const what = `mean ${num(cs.estimate)}, ${pct} interval ${interval(cs.lower, cs.upper)}`;
  if (m.n < minSamples) return { ...base, outcome: 'inconclusive', reason: `${m.n} of at least ${minSamples} samples${m.n > 1 ? ` (${what})` : ''}` };
  const upperSide = op === '<=' || op === '<';
  const [near, far] = upperSide ? [cs.upper, cs.lower] : [cs.lower, cs.upper];
  if (holds(near, op, threshold)) return { ...base, outcome: 'pass', reason: `${what} is ${op} ${num(threshold)}` };
  if (!holds(far, op, threshold)) return { ...base, outcome: 'breach', reason: `${what} breaks the limit ${op} ${num(threshold)}` };
  return { ...base, outcome: 'inconclusive', reason: `${what} straddles the limit ${op} ${num(threshold)}` };
}

/**
 * A non-inferiority check: treatment must not drop more than `maxDropPct`% below the baseline — a
 * plan's fixed number, or the control cohort's moments (each mean's sequence at alpha/2: a union bound).
 */
export function relativeCheck(treatment: Moments, baseline: number | Moments, maxDropPct: number, o: SequentialOptions = {}): CheckResult {
  const { alpha, minSamples, planned, pct } = opts(o);
  const limit = -maxDropPct / 100;
  const fixed = typeof baseline === 'number';
  const t = meanSequence(treatment, fixed ? alpha : alpha / 2, planned);
  const c: MeanSequence = fixed ? { estimate: baseline, lower: baseline, upper: baseline, n: Infinity, stddev: 0 } : meanSequence(baseline, alpha / 2, planned);
  const estimate = t.estimate / c.estimate - 1;
  const src = fixed ? `baseline ${num(baseline)}` : `control mean ${num(c.estimate)} (${c.n} samples)`;
  const res = (outcome: Outcome, reason: string, lower = -Infinity, upper = Infinity): CheckResult => ({ outcome, estimate, lower, upper, n: treatment.n, reason });
  if (fixed && !(baseline > 0)) return res('inconclusive', `the baseline is ${num(baseline)}; a relative check needs a baseline above 0`);
  // The ratio is monotone in each mean on this box (positive denominator): its extremes are at the corners.
  const positive = c.lower > 0;
  const corners = positive ? [t.lower / c.lower, t.lower / c.upper, t.upper / c.lower, t.upper / c.upper] : [-Infinity, Infinity];
  const lower = Math.min(...corners) - 1;
  const upper = Math.max(...corners) - 1;
  const what = `${num(estimate * 100)}% vs ${src}, ${pct} interval ${interval(lower, upper, true)}`;
  const short = Math.min(treatment.n, fixed ? Infinity : baseline.n);
  if (short < minSamples) {
    const who = fixed || treatment.n <= (baseline as Moments).n ? `${treatment.n} treatment` : `${(baseline as Moments).n} control`;
    return res('inconclusive', `${who} of at least ${minSamples} samples${treatment.n > 0 && positive ? ` (${what})` : ''}`, lower, upper);
  }
  if (!positive) return res('inconclusive', `the control mean's interval ${interval(c.lower, c.upper)} reaches 0: no relative difference yet`);
  if (lower > limit) return res('pass', `${what} is above −${num(maxDropPct)}%`, lower, upper);
  if (upper < limit) return res('breach', `${what} is below −${num(maxDropPct)}%`, lower, upper);
  return res('inconclusive', `${what} straddles −${num(maxDropPct)}%`, lower, upper);
}
