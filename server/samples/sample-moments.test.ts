import { describe, expect, it } from 'vitest';
import { EMPTY_MOMENTS, mergeMoments, momentsOf, type Moments } from './sample-moments.js';

const twoPass = (xs: number[]) => {
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  return { mean, m2: xs.reduce((a, x) => a + (x - mean) ** 2, 0) };
};

describe('running moments (Chan’s parallel Welford merge)', () => {
  it('keeps the spread of values around a large mean, which sums of squares lose to rounding', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => 1e9 + (i % 10) / 10);
    const folded = xs.reduce<Moments>((m, x) => mergeMoments(m, { n: 1, mean: x, m2: 0 }), EMPTY_MOMENTS);
    const exact = twoPass(xs);
    expect(folded.n).toBe(1000);
    expect(folded.mean).toBeCloseTo(exact.mean, 6);
    expect(Math.abs(folded.m2 - exact.m2) / exact.m2).toBeLessThan(1e-6);
    // What the sums gave: Σx² − (Σx)²/n at a mean of 1e9 has no digit of the spread left.
    const sum = xs.reduce((a, x) => a + x, 0);
    const sumSq = xs.reduce((a, x) => a + x * x, 0);
    expect(Math.abs(sumSq - (sum * sum) / xs.length - exact.m2) / exact.m2).toBeGreaterThan(0.01);
  });

  it('merges batches in any grouping into the moments of their union', () => {
    const a = [0.81, 0.9, 0.77];
    const b = [0.86, 0.95, 0.62, 0.88, 0.91];
    const of = (xs: number[]) => {
      const t = twoPass(xs);
      return momentsOf(xs.length, t.mean, Math.sqrt(t.m2 / (xs.length - 1)));
    };
    const both = mergeMoments(of(a), of(b));
    const exact = twoPass([...a, ...b]);
    expect(both.n).toBe(8);
    expect(both.mean).toBeCloseTo(exact.mean, 12);
    expect(both.m2).toBeCloseTo(exact.m2, 12);
    expect(mergeMoments(EMPTY_MOMENTS, of(a))).toEqual(of(a));
  });

  it('stays finite at the bounds: a million observations at ±1e12 with the widest spread', () => {
    let m: Moments = EMPTY_MOMENTS;
    for (let i = 0; i < 1000; i++) m = mergeMoments(m, momentsOf(1_000_000, i % 2 ? 5e11 : -5e11, 8.6e11));
    expect(Number.isFinite(m.mean) && Number.isFinite(m.m2)).toBe(true);
    expect(m.n).toBe(1e9);
  });
});
