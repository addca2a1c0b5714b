import { describe, expect, it } from 'vitest';
import { absoluteCheck, addMoments, EMPTY, fromAggregate, fromValue, relativeCheck, type Moments, type Outcome } from './sequential.js';

// Seeded simulations of rollouts judged after every batch. Fixed seeds and bounded loops: the
// figures below are the same on every run (printed as [figure] lines; docs/rollouts.md quotes them).

/** mulberry32: a small, well-known seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(rand: () => number): () => number {
  return () => {
    const u = 1 - rand();
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** One batch as a reporter would send it: `{count, mean, stddev}` of `size` draws, folded into moments. */
function batch(draw: () => number, size: number): Moments {
  const xs = Array.from({ length: size }, draw);
  const mean = xs.reduce((a, b) => a + b, 0) / size;
  const stddev = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (size - 1));
  return fromAggregate({ count: size, mean, stddev });
}

const ROLLOUTS = 400;
const BATCH = 10;
const MAX_SAMPLES = 3000;
const BASELINE = 0.86;
const SD = 0.1;
const LIMIT = 5;

interface Run {
  /** Treatment samples at the first pass, or null if it never passed within MAX_SAMPLES. */
  passedAt: number | null;
}

/** One rollout: a batch per cohort, then a look; continues after a breach (a held gate keeps looking). */
function rollout(seed: number, treatmentMean: number, control: boolean, judge: (t: Moments, c: Moments) => Outcome): Run {
  const z = normal(prng(seed));
  let t = EMPTY;
  let c = EMPTY;
  while (t.n < MAX_SAMPLES) {
    t = addMoments(t, batch(() => treatmentMean + SD * z(), BATCH));
    if (control) c = addMoments(c, batch(() => BASELINE + SD * z(), BATCH));
    if (judge(t, c) === 'pass') return { passedAt: t.n };
  }
  return { passedAt: null };
}

function simulate(seed0: number, treatmentMean: number, control: boolean, judge: (t: Moments, c: Moments) => Outcome): Run[] {
  return Array.from({ length: ROLLOUTS }, (_, i) => rollout(seed0 + i, treatmentMean, control, judge));
}

const rate = (runs: Run[], within = Infinity) => runs.filter((r) => r.passedAt !== null && r.passedAt <= within).length / runs.length;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
/** The sample count by which a share `q` of the rollouts had passed. */
function quantile(runs: Run[], q: number): number {
  const xs = runs.map((r) => r.passedAt ?? Infinity).sort((a, b) => a - b);
  return xs[Math.ceil(xs.length * q) - 1]!;
}

const planJudge = (t: Moments) => relativeCheck(t, BASELINE, LIMIT).outcome;
const controlJudge = (t: Moments, c: Moments) => relativeCheck(t, c, LIMIT).outcome;
const DROP = BASELINE * (1 - (1.5 * LIMIT) / 100);

describe('simulated rollouts judged after every batch of 10 (eval_score ~ N(μ, 0.1²), limit 5%, 95%)', () => {
  it('with a plan baseline, a true drop of 7.5% passes in under 5% of rollouts', () => {
    const runs = simulate(1_000, DROP, false, planJudge);
    const r = rate(runs);
    console.log(`[figure] plan baseline, true drop 7.5% (1.5× limit): passed in ${pct(r)} of ${ROLLOUTS} rollouts, looking after every batch up to ${MAX_SAMPLES} samples`);
    expect(r).toBeLessThan(0.05);
  });

  it('with a plan baseline and no drop, at least 80% of rollouts pass within 150 samples', () => {
    const runs = simulate(2_000, BASELINE, false, planJudge);
    const r = rate(runs, 150);
    console.log(`[figure] plan baseline, no drop: passed within 150 samples in ${pct(r)} of ${ROLLOUTS} rollouts (median ${quantile(runs, 0.5)}, 80% by ${quantile(runs, 0.8)} samples)`);
    expect(r).toBeGreaterThanOrEqual(0.8);
  });

  it('with a control cohort, a true drop of 7.5% passes in under 5% of rollouts', () => {
    const runs = simulate(3_000, DROP, true, controlJudge);
    const r = rate(runs);
    console.log(`[figure] control cohort, true drop 7.5% (1.5× limit): passed in ${pct(r)} of ${ROLLOUTS} rollouts, looking after every batch up to ${MAX_SAMPLES} samples per cohort`);
    expect(r).toBeLessThan(0.05);
  });

  it('with a control cohort and no drop, at least 80% of rollouts pass within 400 samples per cohort', () => {
    const runs = simulate(4_000, BASELINE, true, controlJudge);
    const r = rate(runs, 400);
    console.log(`[figure] control cohort, no drop: passed within 400 samples per cohort in ${pct(r)} of ${ROLLOUTS} rollouts (median ${quantile(runs, 0.5)}, 80% by ${quantile(runs, 0.8)} per cohort)`);
    expect(r).toBeGreaterThanOrEqual(0.8);
  });

  it('a true drop of exactly the limit passes in under 5% of rollouts, with either baseline', () => {
    const onLimit = BASELINE * (1 - LIMIT / 100);
    const plan = rate(simulate(6_000, onLimit, false, planJudge));
    const control = rate(simulate(7_000, onLimit, true, controlJudge));
    console.log(`[figure] true drop of exactly 5% (on the limit): passed in ${pct(plan)} (plan baseline) and ${pct(control)} (control cohort) of ${ROLLOUTS} rollouts up to ${MAX_SAMPLES} samples`);
    expect(plan).toBeLessThan(0.05);
    expect(control).toBeLessThan(0.05);
  });

  it('an absolute check whose true mean sits exactly on the limit passes in under 5% of rollouts', () => {
    // p95_latency_ms <= 2500 with a true mean of 2500 and sd 400: the hardest case for a false pass.
    const judge = (t: Moments) => absoluteCheck(t, '<=', 2500).outcome;
    const runs = Array.from({ length: ROLLOUTS }, (_, i) => {
      const z = normal(prng(5_000 + i));
      let t = EMPTY;
      while (t.n < MAX_SAMPLES) {
        t = addMoments(t, batch(() => 2500 + 400 * z(), BATCH));
        if (judge(t) === 'pass') return { passedAt: t.n };
      }
      return { passedAt: null };
    });
    const r = rate(runs);
    console.log(`[figure] absolute p95_latency_ms <= 2500, true mean 2500: passed in ${pct(r)} of ${ROLLOUTS} rollouts up to ${MAX_SAMPLES} samples`);
    expect(r).toBeLessThan(0.05);
  });

  it('a skewed metric (log-normal) whose true mean sits on the limit: moderate skew passes in under 5%; heavy skew is measured', () => {
    // Raw values, one at a time in batches of 10: the plug-in variance misses a long tail it has not seen yet.
    const falsePass = (logSd: number, minSamples: number, seed0: number) => {
      let passed = 0;
      for (let i = 0; i < ROLLOUTS; i++) {
        const z = normal(prng(seed0 + i));
        const mu = Math.log(2500) - (logSd * logSd) / 2;
        let t = EMPTY;
        while (t.n < MAX_SAMPLES) {
          for (let k = 0; k < BATCH; k++) t = addMoments(t, fromValue(Math.exp(mu + logSd * z())));
          if (absoluteCheck(t, '<=', 2500, { minSamples }).outcome === 'pass') {
            passed++;
            break;
          }
        }
      }
      return passed / ROLLOUTS;
    };
    const moderate = falsePass(0.5, 30, 8_000);
    const heavy = falsePass(1, 30, 9_000);
    const heavyMore = falsePass(1, 200, 9_000);
    console.log(`[figure] log-normal p95_latency_ms <= 2500, true mean 2500: passed in ${pct(moderate)} (log-sd 0.5), ${pct(heavy)} (log-sd 1, minSamples 30), ${pct(heavyMore)} (log-sd 1, minSamples 200) of ${ROLLOUTS} rollouts`);
    expect(moderate).toBeLessThan(0.05);
    expect(heavyMore).toBeLessThan(heavy);
  });
});
