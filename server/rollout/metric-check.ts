import type { Gate } from '@switchyard-flags/sdk/api';
import type { Aggregate, AggregateStats } from '../samples/sample-aggregate-store.js';
import { isRelative, type Check } from './plan-schema.js';
import { absoluteCheck, DEFAULT_CONFIDENCE, DEFAULT_MIN_SAMPLES, relativeCheck, sampleVariance, type CheckResult, type Moments, type Outcome } from './sequential.js';

/**
 * One metric check judged on the running aggregates of the stage run, by the confidence sequence
 * of sequential.ts: pass, breach or inconclusive (which holds the stage). Gates, guardrails and
 * sign-off snapshots all judge through here. Pure.
 */
export interface Judgement {
  metric: string;
  kind: 'absolute' | 'relative';
  outcome: Outcome;
  /** The mean (absolute), or the relative difference treatment/baseline − 1 as a fraction (relative). */
  estimate: number | null;
  interval: [number, number] | null;
  /** Treatment samples. */
  n: number;
  /** Control samples (a relative check against the control cohort). */
  controlN?: number;
  confidence: number;
  minSamples: number;
  /** The threshold, or −maxDropPct/100 for a relative check. */
  limit: number;
  /** Rough further treatment samples to decide at the current variance; null when unknown or when decided. */
  moreSamples: number | null;
  /** Why, in words, without the metric name. */
  reason: string;
  /** The treatment mean. */
  observed: number | null;
  baseline?: number | null;
  baselineSource?: 'plan' | 'control';
}

const moments = (a: Aggregate | undefined): Moments => (a ? { n: a.count, mean: a.mean, m2: a.m2 } : { n: 0, mean: 0, m2: 0 });
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The same mean and variance over `n` samples: what the moments would be with more data "at this rate". */
export function scaled(m: Moments, n: number): Moments {
  return { n, mean: m.mean, m2: (n - 1) * sampleVariance(m) };
}

/**
 * The fewest further treatment samples after which `decide` (given the treatment count) stops being
 * inconclusive, at the current means and variances; null when it would not within a million times
 * the current count. The interval narrows as n grows (tested in sequential.test.ts), so a bisection finds it.
 */
export function samplesToDecide(n: number, minSamples: number, decide: (total: number) => Outcome): number | null {
  if (n < 2) return null;
  let lo = n;
  let hi = Math.max(n + 1, minSamples);
  const cap = n * 1e6;
  while (decide(hi) === 'inconclusive') {
    if (hi >= cap) return null;
    lo = hi;
    hi = Math.min(cap, hi * 2);
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (decide(mid) === 'inconclusive') lo = mid;
    else hi = mid;
  }
  return hi - n;
}

/** Judges one check on the stage run's aggregates. */
export function judge(check: Check, stats: AggregateStats): Judgement {
  const s = stats.get(check.metric);
  const t = moments(s?.treatment);
  const o = { confidence: check.confidence ?? DEFAULT_CONFIDENCE, minSamples: check.minSamples ?? DEFAULT_MIN_SAMPLES };
  const observed = t.n > 0 ? finite(t.mean) : null;
  const base = { metric: check.metric, n: t.n, ...o, observed, moreSamples: null };
  const none = { outcome: 'inconclusive' as const, estimate: null, interval: null };
  const fromResult = (r: CheckResult, decide: (total: number) => Outcome) => ({
    outcome: r.outcome,
    estimate: finite(r.estimate),
    interval: Number.isFinite(r.lower) && Number.isFinite(r.upper) ? ([r.lower, r.upper] as [number, number]) : null,
    reason: r.reason,
    moreSamples: r.outcome === 'inconclusive' ? samplesToDecide(t.n, o.minSamples, decide) : null,
  });
  if (!isRelative(check)) {
    const b = { ...base, kind: 'absolute' as const, limit: check.threshold };
    if (t.n === 0) return { ...b, ...none, reason: `no ${check.metric} sample since the stage started` };
    return { ...b, ...fromResult(absoluteCheck(t, check.op, check.threshold, o), (total) => absoluteCheck(scaled(t, total), check.op, check.threshold, o).outcome) };
  }
  const c = moments(s?.control);
  const fixed = check.baseline !== undefined;
  const b = {
    ...base,
    kind: 'relative' as const,
    limit: -check.maxDropPct / 100,
    baseline: fixed ? check.baseline! : c.n > 0 ? finite(c.mean) : null,
    baselineSource: fixed ? ('plan' as const) : ('control' as const),
    ...(fixed ? {} : { controlN: c.n }),
  };
  if (t.n === 0) return { ...b, ...none, reason: `no ${check.metric} sample since the stage started` };
  if (!fixed && c.n === 0) return { ...b, ...none, reason: `no ${check.metric} control sample since the stage started, and the plan sets no baseline` };
  const baseline = fixed ? check.baseline! : c;
  const decide = (total: number) => {
    // The control cohort grows at the rate it has so far, relative to the treatment.
    const control = fixed ? check.baseline! : scaled(c, Math.max(c.n, Math.round((c.n * total) / t.n)));
    return relativeCheck(scaled(t, total), control, check.maxDropPct, o).outcome;
  };
  return { ...b, ...fromResult(relativeCheck(t, baseline, check.maxDropPct, o), decide) };
}

/** "inconclusive: about 180 more samples at this rate", for the gate's detail. */
function detailOf(j: Judgement): string {
  if (j.estimate === null && j.n === 0) return j.reason;
  if (j.reason.startsWith('no ')) return j.reason;
  const head = `${j.metric} ${j.outcome}: ${j.reason}`;
  if (j.outcome !== 'inconclusive') return head;
  if (j.moreSamples !== null) return `${head}; about ${j.moreSamples} more sample${j.moreSamples === 1 ? '' : 's'} at this rate`;
  const short = j.minSamples - Math.min(j.n, j.controlN ?? Infinity);
  return short > 0 ? `${head}; needs at least ${short} more sample${short === 1 ? '' : 's'}` : head;
}

/** The gate of one metric check (`ok` is `outcome === 'pass'`), with the figures the UI draws. */
export function metricGate(check: Check, stats: AggregateStats): Gate {
  const j = judge(check, stats);
  const { reason: _reason, ...figures } = j;
  const old = isRelative(check)
    ? { maxDropPct: check.maxDropPct, threshold: j.baseline ? j.baseline * (1 - check.maxDropPct / 100) : null }
    : { op: check.op, threshold: check.threshold };
  // Distinct token subjects whose samples make up the evidence: one reporter is one voice.
  const reporters = stats.get(check.metric)?.reporters ?? 0;
  return { gate: 'metric', ok: j.outcome === 'pass', ...figures, ...old, guardrail: check.guardrail, samples: j.n, reporters, detail: detailOf(j) };
}
