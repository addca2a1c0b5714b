import { describe, expect, it } from 'vitest';
import { absoluteCheck, addMoments, fromAggregate, fromValue, relativeCheck } from './sequential.js';

// The figures docs/rollouts.md quotes in "The statistics of a metric check", computed by the code.
describe('the worked example of docs/rollouts.md', () => {
  // eval_score, plan baseline 0.86, maxDropPct 5: three aggregate batches from an evaluation job.
  const b1 = fromAggregate({ count: 20, mean: 0.85, stddev: 0.1 });
  const b2 = addMoments(b1, fromAggregate({ count: 40, mean: 0.86, stddev: 0.1 }));
  const b3 = addMoments(b2, fromAggregate({ count: 60, mean: 0.87, stddev: 0.1 }));

  it('holds at 20 samples, straddles the limit at 60 and passes at 120, with the figures the docs quote', () => {
    const r1 = relativeCheck(b1, 0.86, 5);
    expect(r1.outcome).toBe('inconclusive');
    expect(r1.reason).toBe('20 treatment of at least 30 samples (-1.163% vs baseline 0.86, 95% interval [-14.42%, 12.1%])');
    const r2 = relativeCheck(b2, 0.86, 5);
    expect(r2.outcome).toBe('inconclusive');
    expect(r2.reason).toBe('-0.3876% vs baseline 0.86, 95% interval [-5.894%, 5.119%] straddles −5%');
    const r3 = relativeCheck(b3, 0.86, 5);
    expect(r3.outcome).toBe('pass');
    expect(r3.reason).toBe('0.3876% vs baseline 0.86, 95% interval [-3.075%, 3.85%] is above −5%');
  });

  it('matches the figures worked by hand from the formula at n = 60', () => {
    // sum 51.4, sumSq 44.614: s² = (44.614 − 51.4²/60)/59; ρ = 500/(2 ln 20 + ln(1 + 2 ln 20)) ≈ 63.0.
    expect(b2.n * b2.mean).toBeCloseTo(51.4, 12);
    expect(b2.m2 + b2.n * b2.mean * b2.mean).toBeCloseTo(44.614, 12);
    const s = Math.sqrt((44.614 - (51.4 * 51.4) / 60) / 59);
    const rho = 500 / (2 * Math.log(20) + Math.log(1 + 2 * Math.log(20)));
    expect(rho).toBeCloseTo(63.0, 1);
    const half = (s * Math.sqrt((60 + rho) * Math.log((60 + rho) / (rho * 0.05 * 0.05)))) / 60;
    expect(s).toBeCloseTo(0.09926, 5);
    expect(half).toBeCloseTo(0.04735, 5);
    const r = relativeCheck(b2, 0.86, 5);
    expect(r.lower).toBeCloseTo((51.4 / 60 - half) / 0.86 - 1, 12);
  });

  it('judges p95_latency_ms <= 2500 on the upper bound of the mean, and a control cohort on both bounds', () => {
    const l1 = fromAggregate({ count: 50, mean: 2300, stddev: 600 });
    const l2 = addMoments(l1, fromAggregate({ count: 150, mean: 2250, stddev: 550 }));
    expect(absoluteCheck(l1, '<=', 2500).reason).toBe('mean 2300, 95% interval [1973, 2627] straddles the limit <= 2500');
    expect(absoluteCheck(l2, '<=', 2500)).toMatchObject({ outcome: 'pass', reason: 'mean 2263, 95% interval [2138, 2387] is <= 2500' });
    const t = fromAggregate({ count: 300, mean: 0.85, stddev: 0.1 });
    const c = fromAggregate({ count: 300, mean: 0.86, stddev: 0.1 });
    expect(relativeCheck(t, c, 5).reason).toBe('-1.163% vs control mean 0.86 (300 samples), 95% interval [-5.476%, 3.346%] straddles −5%');
  });

  it('gives one sample no interval at all: its spread is unknown', () => {
    const r = absoluteCheck(fromValue(2000), '<=', 2500);
    expect(r.lower).toBe(-Infinity);
    expect(r.upper).toBe(Infinity);
    expect(relativeCheck(fromValue(0.85), 0.86, 5).reason).toContain('interval unbounded');
  });
});
