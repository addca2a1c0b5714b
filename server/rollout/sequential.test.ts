import { describe, expect, it } from 'vitest';
import {
  absoluteCheck,
  addMoments,
  EMPTY,
  fromAggregate,
  fromValue,
  meanSequence,
  mixtureRadius,
  mixtureRho,
  relativeCheck,
  sampleVariance,
  type Moments,
} from './sequential.js';

/** A second implementation: the mixture martingale ∫ exp(λS − λ²V/2) dN(0, 1/ρ)(λ) by the trapezoid rule. */
function mixtureByIntegration(s: number, v: number, rho: number): number {
  const sd = 1 / Math.sqrt(rho);
  const steps = 20_000;
  const lo = -12 * sd;
  const h = (24 * sd) / steps;
  let acc = 0;
  for (let i = 0; i <= steps; i++) {
    const l = lo + i * h;
    const f = Math.exp(l * s - (l * l * v) / 2 - (l * l) / (2 * sd * sd)) / (sd * Math.sqrt(2 * Math.PI));
    acc += i === 0 || i === steps ? f / 2 : f;
  }
  return acc * h;
}

/** The S at which the integrated mixture reaches 1/alpha (Ville's threshold), by bisection. */
function radiusByIntegration(v: number, rho: number, alpha: number): number {
  let lo = 0;
  let hi = 10 * Math.sqrt(v + rho) * 10;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (mixtureByIntegration(mid, v, rho) < 1 / alpha) lo = mid;
    else hi = mid;
  }
  return lo;
}

function momentsOf(xs: number[]): Moments {
  return xs.reduce((m, x) => addMoments(m, fromValue(x)), EMPTY);
}

function meanSd(xs: number[]): { count: number; mean: number; stddev: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const ss = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  return { count: xs.length, mean, stddev: xs.length > 1 ? Math.sqrt(ss / (xs.length - 1)) : 0 };
}

describe('the normal-mixture boundary', () => {
  it('matches a hand-computed value: V = 100, ρ = 100, alpha = 0.05 gives sqrt(200 · ln 800) = 36.56', () => {
    expect(mixtureRadius(100, 100, 0.05)).toBeCloseTo(Math.sqrt(200 * 6.684612), 4);
    expect(mixtureRadius(100, 100, 0.05)).toBeCloseTo(36.564, 2);
  });

  it.each([
    [10, 5, 0.05],
    [100, 63, 0.05],
    [500, 40, 0.1],
    [2000, 300, 0.01],
  ])('agrees with numeric integration of the mixture martingale at V = %d, ρ = %d, alpha = %d', (v, rho, alpha) => {
    const closed = mixtureRadius(v, rho, alpha);
    const numeric = radiusByIntegration(v, rho, alpha);
    expect(Math.abs(closed - numeric) / closed).toBeLessThan(1e-4);
  });

  it('tunes ρ to within 0.5% of the tightest boundary at the planned sample count', () => {
    for (const [m, alpha] of [[100, 0.05], [500, 0.05], [1000, 0.01]] as const) {
      let best = Infinity;
      for (let r = m / 200; r < m; r += m / 4000) best = Math.min(best, mixtureRadius(m, r, alpha));
      const tuned = mixtureRadius(m, mixtureRho(m, alpha), alpha);
      expect(tuned).toBeGreaterThanOrEqual(best * 0.9999);
      expect(tuned / best).toBeLessThan(1.005);
    }
  });

  it('narrows the interval of the mean as samples grow, and widens it as the confidence rises', () => {
    let prev = Infinity;
    for (const n of [2, 10, 30, 100, 300, 1000, 3000, 10_000]) {
      const width = mixtureRadius(n, mixtureRho(500, 0.05), 0.05) / n;
      expect(width).toBeLessThan(prev);
      prev = width;
    }
    // Σx = 50 and Σx² = 26 over 100 samples: mean 0.5, M2 = 26 − 50²/100 = 1.
    const m: Moments = { n: 100, mean: 0.5, m2: 1 };
    const w = (a: number) => {
      const s = meanSequence(m, a);
      return s.upper - s.lower;
    };
    expect(w(0.01)).toBeGreaterThan(w(0.05));
    expect(w(0.05)).toBeGreaterThan(w(0.2));
  });
});

describe('folding aggregate samples', () => {
  const xs = [0.81, 0.9, 0.77, 0.86, 0.95, 0.62, 0.88, 0.91];

  it('folds {count, mean, stddev} into the same n, mean and M2 as the raw values', () => {
    const raw = momentsOf(xs);
    const folded = fromAggregate(meanSd(xs));
    expect(folded.n).toBe(raw.n);
    expect(folded.mean).toBeCloseTo(raw.mean, 12);
    expect(folded.m2).toBeCloseTo(raw.m2, 12);
    expect(Math.sqrt(sampleVariance(folded))).toBeCloseTo(meanSd(xs).stddev, 12);
  });

  it('folds two aggregates into the moments of their union, and one sample of count 1 into its value', () => {
    const a = xs.slice(0, 3);
    const b = xs.slice(3);
    const both = addMoments(fromAggregate(meanSd(a)), fromAggregate(meanSd(b)));
    const raw = momentsOf(xs);
    expect(both.n).toBe(8);
    expect(both.mean).toBeCloseTo(raw.mean, 12);
    expect(both.m2).toBeCloseTo(raw.m2, 12);
    expect(fromAggregate({ count: 1, mean: 0.85, stddev: 0 })).toEqual(fromValue(0.85));
  });

  it('refuses an aggregate with no samples, a negative stddev or a non-finite number, and a confidence outside (0, 1)', () => {
    expect(() => fromAggregate({ count: 0, mean: 1, stddev: 0 })).toThrow(RangeError);
    expect(() => fromAggregate({ count: 2.5, mean: 1, stddev: 0 })).toThrow(RangeError);
    expect(() => fromAggregate({ count: 5, mean: 1, stddev: -0.1 })).toThrow(RangeError);
    expect(() => fromAggregate({ count: 5, mean: NaN, stddev: 0 })).toThrow(RangeError);
    expect(() => absoluteCheck(fromValue(1), '<=', 2, { confidence: 1 })).toThrow(RangeError);
  });
});

describe('absolute checks', () => {
  const latency = (n: number, mean: number, sd: number) => fromAggregate({ count: n, mean, stddev: sd });

  it('is inconclusive below minSamples, however clear the numbers', () => {
    const r = absoluteCheck(latency(29, 100, 1), '<=', 2500);
    expect(r.outcome).toBe('inconclusive');
    expect(r.reason).toContain('29 of at least 30 samples');
    expect(absoluteCheck(EMPTY, '<=', 2500).outcome).toBe('inconclusive');
  });

  it('passes, breaches or holds on the bound of the mean, for each comparison', () => {
    expect(absoluteCheck(latency(200, 2000, 400), '<=', 2500).outcome).toBe('pass');
    expect(absoluteCheck(latency(200, 3000, 400), '<=', 2500).outcome).toBe('breach');
    expect(absoluteCheck(latency(200, 2450, 400), '<=', 2500).outcome).toBe('inconclusive');
    expect(absoluteCheck(latency(200, 0.9, 0.1), '>=', 0.8).outcome).toBe('pass');
    expect(absoluteCheck(latency(200, 0.7, 0.1), '>', 0.8).outcome).toBe('breach');
  });

  it('reports the interval the code computes: the mean ± σ · radius(n) / n', () => {
    const m = latency(400, 2000, 500);
    const r = absoluteCheck(m, '<=', 2500);
    const half = (500 * mixtureRadius(400, mixtureRho(500, 0.05), 0.05)) / 400;
    expect(r.estimate).toBeCloseTo(2000, 9);
    expect(r.upper - r.estimate).toBeCloseTo(half, 6);
    expect(r.estimate - r.lower).toBeCloseTo(half, 6);
    expect(r.n).toBe(400);
  });

  it('the example of issue 15: one eval_score of 0.85 against a baseline of 0.86 is inconclusive, not a pass', () => {
    const r = relativeCheck(fromValue(0.85), 0.86, 5);
    expect(r.outcome).toBe('inconclusive');
    expect(r.estimate).toBeCloseTo(0.85 / 0.86 - 1, 12);
  });
});

describe('relative checks', () => {
  it('against a plan baseline maps the interval of the mean onto the relative difference', () => {
    const t = fromAggregate({ count: 300, mean: 0.86, stddev: 0.1 });
    const r = relativeCheck(t, 0.86, 5);
    const cs = meanSequence(t, 0.05);
    expect(r.lower).toBeCloseTo(cs.lower / 0.86 - 1, 12);
    expect(r.upper).toBeCloseTo(cs.upper / 0.86 - 1, 12);
    expect(r.outcome).toBe('pass');
    expect(relativeCheck(fromAggregate({ count: 300, mean: 0.7, stddev: 0.1 }), 0.86, 5).outcome).toBe('breach');
  });

  it('against a control cohort splits the error between the two means and takes the corners of the ratio', () => {
    const t = fromAggregate({ count: 400, mean: 0.85, stddev: 0.1 });
    const c = fromAggregate({ count: 400, mean: 0.86, stddev: 0.1 });
    const r = relativeCheck(t, c, 5);
    const ts = meanSequence(t, 0.025);
    const cs = meanSequence(c, 0.025);
    expect(r.lower).toBeCloseTo(ts.lower / cs.upper - 1, 12);
    expect(r.upper).toBeCloseTo(ts.upper / cs.lower - 1, 12);
    expect(r.upper - r.lower).toBeGreaterThan(relativeCheck(t, 0.86, 5).upper - relativeCheck(t, 0.86, 5).lower);
  });

  it('needs minSamples in the control cohort too, and a baseline above 0', () => {
    const t = fromAggregate({ count: 400, mean: 0.85, stddev: 0.1 });
    const r = relativeCheck(t, fromAggregate({ count: 12, mean: 0.86, stddev: 0.1 }), 5);
    expect(r.outcome).toBe('inconclusive');
    expect(r.reason).toContain('12 control of at least 30 samples');
    expect(relativeCheck(t, 0, 5).outcome).toBe('inconclusive');
  });

  it('narrows as samples grow at the same means', () => {
    let prev = Infinity;
    for (const n of [30, 100, 300, 1000, 3000]) {
      const r = relativeCheck(fromAggregate({ count: n, mean: 0.85, stddev: 0.1 }), fromAggregate({ count: n, mean: 0.86, stddev: 0.1 }), 5);
      expect(r.upper - r.lower).toBeLessThan(prev);
      prev = r.upper - r.lower;
    }
  });
});
