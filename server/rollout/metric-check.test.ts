import { describe, expect, it } from 'vitest';
import type { Aggregate, AggregateStats } from '../samples/sample-aggregate-store.js';
import { convergenceGate } from './gates.js';
import { judge, metricGate, samplesToDecide, scaled } from './metric-check.js';
import { putPlanSchema, type Check } from './plan-schema.js';
import { lapseOf } from './signoff-evidence.js';
import { absoluteCheck, addMoments, EMPTY, fromAggregate, type Moments } from './sequential.js';

/** A check as a stored plan holds it (defaults filled in by the plan schema). */
function check(c: Record<string, unknown>): Check {
  return putPlanSchema.parse({ stages: [{ percent: 100, checks: [c] }] }).stages[0]!.checks[0]!;
}

function aggregate(m: Moments): Aggregate {
  return { count: m.n, mean: m.mean, min: m.mean, max: m.mean, m2: m.m2 };
}

function stats(metric: string, treatment: Moments, control?: Moments): AggregateStats {
  return new Map([[metric, { treatment: treatment.n ? aggregate(treatment) : undefined, ...(control && control.n ? { control: aggregate(control) } : {}) }]]);
}

const evalScore = check({ metric: 'eval_score', maxDropPct: 5, baseline: 0.86 });

describe('judging a metric check on the stage aggregates', () => {
  it('matches the worked example of docs/rollouts.md: 60 samples inconclusive, 120 pass', () => {
    const sixty = addMoments(fromAggregate({ count: 20, mean: 0.85, stddev: 0.1 }), fromAggregate({ count: 40, mean: 0.86, stddev: 0.1 }));
    const j = judge(evalScore, stats('eval_score', sixty));
    expect(j).toMatchObject({ outcome: 'inconclusive', kind: 'relative', n: 60, limit: -0.05, confidence: 0.95, minSamples: 30, baselineSource: 'plan' });
    expect(j.interval![0]).toBeCloseTo(-0.05894, 4);
    const all = addMoments(sixty, fromAggregate({ count: 60, mean: 0.87, stddev: 0.1 }));
    expect(judge(evalScore, stats('eval_score', all))).toMatchObject({ outcome: 'pass', n: 120, moreSamples: null });
  });

  it('moreSamples is the first count at the current mean and variance that decides, found by a linear scan as well', () => {
    const m = addMoments(fromAggregate({ count: 20, mean: 0.85, stddev: 0.1 }), fromAggregate({ count: 40, mean: 0.86, stddev: 0.1 }));
    const j = judge(evalScore, stats('eval_score', m));
    expect(j.moreSamples).not.toBeNull();
    let linear = m.n;
    while (judge(evalScore, stats('eval_score', scaled(m, linear))).outcome === 'inconclusive') linear++;
    expect(m.n + j.moreSamples!).toBe(linear);
  });

  it('moreSamples is null with fewer than two samples, and when the mean sits exactly on the limit', () => {
    expect(judge(evalScore, stats('eval_score', fromAggregate({ count: 1, mean: 0.85, stddev: 0 }))).moreSamples).toBeNull();
    const onLimit = check({ metric: 'p95_latency_ms', op: '<=', threshold: 2500 });
    expect(samplesToDecide(50, 30, (n) => absoluteCheck(scaled(fromAggregate({ count: 50, mean: 2500, stddev: 300 }), n), '<=', 2500).outcome)).toBeNull();
    expect(judge(onLimit, stats('p95_latency_ms', fromAggregate({ count: 50, mean: 2500, stddev: 300 })))).toMatchObject({ outcome: 'inconclusive', moreSamples: null });
  });

  it('a gate is ok only on pass, and keeps the figures the admin UI draws', () => {
    const g = metricGate(evalScore, stats('eval_score', fromAggregate({ count: 200, mean: 0.7, stddev: 0.05 })));
    expect(g).toMatchObject({ gate: 'metric', ok: false, outcome: 'breach', n: 200, samples: 200, limit: -0.05, moreSamples: null, baseline: 0.86, maxDropPct: 5 });
    expect(g.detail.startsWith('eval_score breach: ')).toBe(true);
    expect(metricGate(evalScore, new Map())).toMatchObject({ ok: false, outcome: 'inconclusive', n: 0, estimate: null, interval: null, detail: 'no eval_score sample since the stage started' });
  });
});

describe('sign-off lapses and convergence, pure', () => {
  const row = (snapshot: unknown) => ({ id: 1, environment: 'production', flag: 'f', plan_version: 1, stage: 1, actor: 'bob', role: 'pm', comment: '', at: '', voided_at: null, void_reason: null, lapsed_at: null, lapse_reason: null, lapse_metric: null, lapse_outcome: null, snapshot: snapshot === null ? null : JSON.stringify(snapshot) });
  const snap = (outcome: string) => ({ planVersion: 1, checks: [{ metric: 'eval_score', outcome, estimate: 0, interval: null, n: 100 }] });

  it('a sign-off lapses only for a check it saw pass that is no longer pass', () => {
    const breach = judge(evalScore, stats('eval_score', fromAggregate({ count: 200, mean: 0.7, stddev: 0.05 })));
    const pass = judge(evalScore, stats('eval_score', fromAggregate({ count: 200, mean: 0.86, stddev: 0.05 })));
    expect(lapseOf(row(snap('pass')), [breach])).toBe(breach);
    expect(lapseOf(row(snap('pass')), [pass])).toBeNull();
    expect(lapseOf(row(snap('inconclusive')), [breach])).toBeNull();
    expect(lapseOf(row(null), [breach])).toBeNull();
  });

  it('convergence holds at minApplied percent of connected SDKs, and with none connected', () => {
    const stage = putPlanSchema.parse({ stages: [{ percent: 100, minApplied: 90 }] }).stages[0]!;
    expect(convergenceGate(stage, { stateVersion: 7, connected: 10, applied: 9, notApplied: [{ id: 'a', stateVersion: 6 }] })).toMatchObject({ ok: true, percentApplied: 90, minApplied: 90 });
    expect(convergenceGate(stage, { stateVersion: 7, connected: 10, applied: 8, notApplied: [] })).toMatchObject({ ok: false, percentApplied: 80 });
    const byDefault = putPlanSchema.parse({ stages: [{ percent: 100 }] }).stages[0]!;
    expect(convergenceGate(byDefault, { stateVersion: 7, connected: 200, applied: 197, notApplied: [] })).toMatchObject({ ok: false, minApplied: 99, percentApplied: 98.5 });
    expect(convergenceGate(byDefault, { stateVersion: 7, connected: 0, applied: 0, notApplied: [] })).toMatchObject({ ok: true, detail: 'no SDK is connected: nothing to wait for' });
  });
});

// Seeded simulations through the gate itself (plan-schema defaults: 95%, minSamples 30), judged
// after every batch of 10 as the server does; [figure] lines are quoted in docs/rollouts.md.
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
function batch(rand: () => number, mean: number, sd: number, size: number): Moments {
  const xs = Array.from({ length: size }, () => mean + sd * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));
  const m = xs.reduce((a, b) => a + b, 0) / size;
  return fromAggregate({ count: size, mean: m, stddev: Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (size - 1)) });
}

const ROLLOUTS = 200;
const MAX = 2000;
/** Treatment samples at the first pass (null: never within MAX), and whether a guardrail on the same check would have tripped first. */
function rollout(seed: number, c: Check, mean: number, control: boolean): { passedAt: number | null; breached: boolean } {
  const rand = prng(seed);
  let t = EMPTY;
  let k = EMPTY;
  let breached = false;
  while (t.n < MAX) {
    t = addMoments(t, batch(rand, mean, 0.1, 10));
    if (control) k = addMoments(k, batch(rand, 0.86, 0.1, 10));
    const g = metricGate(c, stats('eval_score', t, control ? k : undefined));
    if (g.outcome === 'breach') breached = true;
    if (g.ok) return { passedAt: t.n, breached };
  }
  return { passedAt: null, breached };
}

describe('simulated rollouts through the gate (eval_score ~ N(μ, 0.1²), limit 5%, checked after every batch of 10)', () => {
  const cases = [
    { name: 'plan baseline', c: evalScore, control: false, within: 150, seed: 11_000 },
    { name: 'control cohort', c: check({ metric: 'eval_score', maxDropPct: 5 }), control: true, within: 400, seed: 12_000 },
  ];
  for (const { name, c, control, within, seed } of cases) {
    it(`with a ${name}, a true drop of 7.5% passes the gate in under 5% of rollouts; with no drop, at least 80% pass within ${within} samples and under 5% ever breach`, () => {
      const bad = Array.from({ length: ROLLOUTS }, (_, i) => rollout(seed + i, c, 0.86 * (1 - 0.075), control));
      const good = Array.from({ length: ROLLOUTS }, (_, i) => rollout(seed + 5_000 + i, c, 0.86, control));
      const falsePass = bad.filter((r) => r.passedAt !== null).length / ROLLOUTS;
      const passedWithin = good.filter((r) => r.passedAt !== null && r.passedAt <= within).length / ROLLOUTS;
      const falseBreach = good.filter((r) => r.breached).length / ROLLOUTS;
      console.log(`[figure] gate, ${name}: true drop 7.5% passed in ${(falsePass * 100).toFixed(1)}%; no drop passed within ${within} in ${(passedWithin * 100).toFixed(1)}%, breached (a guardrail would trip) in ${(falseBreach * 100).toFixed(1)}% of ${ROLLOUTS} rollouts`);
      expect(falsePass).toBeLessThan(0.05);
      expect(passedWithin).toBeGreaterThanOrEqual(0.8);
      expect(falseBreach).toBeLessThan(0.05);
    });
  }
});
