import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { issueSdkKey, sdkPeer } from './helpers/push-client.js';
import { advance, auditOf, manualClock, putPlan, report, signoff } from './rollout-fixtures.js';

// Issue 15: metric gates decided on evidence (pass / breach / inconclusive), through the real server.

const time = manualClock('2026-06-01T09:00:00.000Z');
let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({ clock: time.clock });
});
afterAll(async () => {
  await ts.close();
});

const gatesOf = async (key: string) => (await ts.api('GET', `/api/flags/${key}/gates`, { as: 'viewer' })).body;
const metricGate = async (key: string, metric: string) => (await gatesOf(key)).gates.find((g: any) => g.gate === 'metric' && g.metric === metric);
const agg = (flag: string, metric: string, count: number, mean: number, stddev: number, cohort = 'treatment') => ({ flag, metric, count, mean, stddev, cohort });

describe('samples with their size', () => {
  it('an aggregate {count, mean, stddev} or {count, sum, sumSq} adds exactly into the stage aggregates', async () => {
    await createFlag(ts, 'sized');
    let r = await report(ts, [agg('sized', 'eval_score', 20, 0.85, 0.1), { flag: 'sized', metric: 'eval_score', value: 0.9 }]);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ stored: 2, tripped: [] });
    // 10 values summing to 8.6 with sum of squares 7.486 (mean 0.86, sd 0.1).
    r = await ts.api('POST', '/api/metrics', { as: 'metrics', body: { flag: 'sized', metric: 'eval_score', count: 10, sum: 8.6, sumSq: 7.486, cohort: 'control' } });
    expect(r.status).toBe(201);
    const s = (await ts.api('GET', '/api/flags/sized/metrics?metric=eval_score', { as: 'viewer' })).body.metrics[0];
    expect(s.treatment.count).toBe(21);
    expect(s.treatment.mean).toBeCloseTo((20 * 0.85 + 0.9) / 21, 12);
    expect(s.control).toMatchObject({ count: 10 });
    expect(s.control.mean).toBeCloseTo(0.86, 12);
    expect(s.samples.find((x: any) => x.cohort === 'treatment' && x.count === 20)).toMatchObject({ value: 0.85, count: 20, stddev: 0.1 });
  });

  it('refuses a malformed aggregate with the offending path and stores nothing of the batch', async () => {
    await createFlag(ts, 'sized-bad');
    const good = agg('sized-bad', 'eval_score', 5, 0.8, 0.1);
    const cases: Array<[unknown, string]> = [
      [{ ...good, count: 0 }, 'samples.1.count'],
      [{ ...good, count: 2.5 }, 'samples.1.count'],
      [{ ...good, stddev: -0.1 }, 'samples.1.stddev'],
      [{ ...good, count: 1, stddev: 0.1 }, 'samples.1.stddev'],
      [{ ...good, mean: 'high' }, 'samples.1.mean'],
      [{ ...good, value: 0.8 }, 'samples.1'],
      [{ flag: 'sized-bad', metric: 'eval_score', count: 5, mean: 0.8 }, 'samples.1'],
      [{ flag: 'sized-bad', metric: 'eval_score', count: 4, sum: 4, sumSq: 1 }, 'samples.1.sumSq'],
      [{ flag: 'sized-bad', metric: 'eval_score', count: 4, sum: 4, sumSq: 4, stddev: 0 }, 'samples.1'],
    ];
    for (const [bad, path] of cases) {
      const r = await report(ts, [good, bad]);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.error.details.map((d: any) => d.path), JSON.stringify(bad)).toContain(path);
    }
    const s = (await ts.api('GET', '/api/flags/sized-bad/metrics?metric=eval_score', { as: 'viewer' })).body.metrics[0];
    expect(s).toMatchObject({ treatment: null, samples: [] });
  });
});

describe('metric gates decided on evidence', () => {
  it("the issue's example: one 0.85 sample against baseline 0.86 with a 5% limit is inconclusive and holds the stage", async () => {
    await createFlag(ts, 'one-sample');
    await putPlan(ts, 'one-sample', { stages: [{ percent: 5, checks: [{ metric: 'eval_score', maxDropPct: 5, baseline: 0.86 }] }, { percent: 25 }, { percent: 100 }] });
    expect((await signoff(ts, 'one-sample', 'pm-bob')).status).toBe(201);
    await report(ts, [{ flag: 'one-sample', metric: 'eval_score', value: 0.85 }]);
    const g = await metricGate('one-sample', 'eval_score');
    expect(g).toMatchObject({ gate: 'metric', ok: false, outcome: 'inconclusive', kind: 'relative', n: 1, minSamples: 30, confidence: 0.95, limit: -0.05, interval: null, moreSamples: null });
    expect(g.estimate).toBeCloseTo(0.85 / 0.86 - 1, 12);
    expect(g.detail).toBe('eval_score inconclusive: 1 treatment of at least 30 samples (-1.163% vs baseline 0.86, 95% interval unbounded); needs at least 29 more samples');
    const r = await advance(ts, 'one-sample');
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('gates_not_met');
    expect((await ts.api('GET', '/api/flags/one-sample', { as: 'viewer' })).body.stage).toBe(0);
  });

  it('an inconclusive gate says about how many more samples it needs, then turns into a pass as aggregates arrive', async () => {
    await createFlag(ts, 'turns-pass');
    await putPlan(ts, 'turns-pass', { stages: [{ percent: 5, checks: [{ metric: 'eval_score', maxDropPct: 5, baseline: 0.86 }] }, { percent: 100 }] });
    await signoff(ts, 'turns-pass', 'pm-bob');
    await report(ts, [agg('turns-pass', 'eval_score', 20, 0.85, 0.1), agg('turns-pass', 'eval_score', 40, 0.86, 0.1)]);
    let g = await metricGate('turns-pass', 'eval_score');
    expect(g).toMatchObject({ outcome: 'inconclusive', ok: false, n: 60 });
    expect(g.interval[0]).toBeCloseTo(-0.05894, 4);
    expect(g.interval[1]).toBeCloseTo(0.05119, 4);
    expect(g.moreSamples).toBeGreaterThan(0);
    expect(g.detail).toMatch(/^eval_score inconclusive: -0\.3876% vs baseline 0\.86, 95% interval \[-5\.894%, 5\.119%\] straddles −5%; about \d+ more samples at this rate$/);
    await report(ts, [agg('turns-pass', 'eval_score', 60, 0.87, 0.1)]);
    g = await metricGate('turns-pass', 'eval_score');
    expect(g).toMatchObject({ outcome: 'pass', ok: true, n: 120, moreSamples: null });
    expect(g.detail).toBe('eval_score pass: 0.3876% vs baseline 0.86, 95% interval [-3.075%, 3.85%] is above −5%');
    const r = await advance(ts, 'turns-pass');
    expect(r.status).toBe(200);
    const [entry] = await auditOf(ts, 'turns-pass', 'rollout.advance');
    expect(entry.after.gates.find((x: any) => x.gate === 'metric')).toMatchObject({ outcome: 'pass', n: 120 });
  });

  it('an absolute check passes on the bound of the mean, breaches when the whole interval breaks it, with per-check confidence and minSamples', async () => {
    await createFlag(ts, 'latency');
    const bad = await putPlan(ts, 'latency', { stages: [{ percent: 5, checks: [{ metric: 'p95_latency_ms', op: '<=', threshold: 2500, confidence: 1.5 }] }, { percent: 100 }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: any) => d.path)).toContain('stages.0.checks.0.confidence');
    expect((await putPlan(ts, 'latency', { stages: [{ percent: 5, checks: [{ metric: 'p95_latency_ms', op: '<=', threshold: 2500, minSamples: 0 }] }, { percent: 100 }] })).status).toBe(400);
    const put = await putPlan(ts, 'latency', {
      stages: [{ percent: 5, checks: [{ metric: 'p95_latency_ms', op: '<=', threshold: 2500, confidence: 0.99, minSamples: 40 }, { metric: 'error_rate', op: '<', threshold: 0.01 }] }, { percent: 100 }],
    });
    expect(put.status).toBe(200);
    expect(put.body.plan.plan.stages[0].checks).toEqual([
      { metric: 'p95_latency_ms', op: '<=', threshold: 2500, confidence: 0.99, minSamples: 40, guardrail: false },
      { metric: 'error_rate', op: '<', threshold: 0.01, confidence: 0.95, minSamples: 30, guardrail: false },
    ]);
    await report(ts, [agg('latency', 'p95_latency_ms', 35, 1200, 300), agg('latency', 'error_rate', 50, 0.03, 0.01)]);
    let g = await metricGate('latency', 'p95_latency_ms');
    expect(g).toMatchObject({ outcome: 'inconclusive', kind: 'absolute', n: 35, minSamples: 40, confidence: 0.99, limit: 2500, moreSamples: 5 });
    const e = await metricGate('latency', 'error_rate');
    expect(e).toMatchObject({ outcome: 'breach', ok: false, n: 50, limit: 0.01 });
    expect(e.interval[0]).toBeGreaterThan(0.01);
    expect(e.detail).toMatch(/^error_rate breach: mean 0\.03, 95% interval \[[\d.]+, [\d.]+\] breaks the limit < 0\.01$/);
    await report(ts, [agg('latency', 'p95_latency_ms', 10, 1200, 300)]);
    g = await metricGate('latency', 'p95_latency_ms');
    expect(g).toMatchObject({ outcome: 'pass', ok: true, n: 45 });
    expect(g.interval[1]).toBeLessThan(2500);
  });

  it('a relative check against the control cohort reports both sample counts', async () => {
    await createFlag(ts, 'vs-control');
    await putPlan(ts, 'vs-control', { stages: [{ percent: 5, checks: [{ metric: 'eval_score', maxDropPct: 5 }] }, { percent: 100 }] });
    await report(ts, [agg('vs-control', 'eval_score', 300, 0.85, 0.1), agg('vs-control', 'eval_score', 300, 0.86, 0.1, 'control')]);
    let g = await metricGate('vs-control', 'eval_score');
    expect(g).toMatchObject({ outcome: 'inconclusive', kind: 'relative', n: 300, controlN: 300, baselineSource: 'control' });
    expect(g.detail).toContain('-1.163% vs control mean 0.86 (300 samples), 95% interval [-5.476%, 3.346%] straddles −5%');
    await report(ts, [agg('vs-control', 'eval_score', 300, 0.55, 0.1)]);
    g = await metricGate('vs-control', 'eval_score');
    expect(g).toMatchObject({ outcome: 'breach', ok: false, n: 600, controlN: 300 });
  });
});

describe('auto-advance on evidence', () => {
  it('an inconclusive check holds an auto-advancing stage (audited as blocked); the stage advances once the check passes', async () => {
    await createFlag(ts, 'auto-evidence');
    await putPlan(ts, 'auto-evidence', { stages: [{ percent: 5, autoAdvance: true, checks: [{ metric: 'eval_score', maxDropPct: 5, baseline: 0.86 }] }, { percent: 100 }] });
    await signoff(ts, 'auto-evidence', 'pm-bob');
    await report(ts, [{ flag: 'auto-evidence', metric: 'eval_score', value: 0.95 }]);
    let t = await ts.running.services.scheduler.tick();
    expect(t.advanced).not.toContain('auto-evidence');
    const [blocked] = await auditOf(ts, 'auto-evidence', 'rollout.auto_advance_blocked');
    expect(blocked.reason).toContain('metric: eval_score inconclusive: 1 treatment of at least 30 samples');
    expect((await ts.api('GET', '/api/flags/auto-evidence', { as: 'viewer' })).body.stage).toBe(0);
    await report(ts, [agg('auto-evidence', 'eval_score', 120, 0.87, 0.05)]);
    t = await ts.running.services.scheduler.tick();
    expect(t.advanced).toContain('auto-evidence');
    const [adv] = await auditOf(ts, 'auto-evidence', 'rollout.advance');
    expect(adv).toMatchObject({ actor: 'system:scheduler', after: { stage: 1, auto: true } });
    expect(adv.after.gates.find((g: any) => g.gate === 'metric')).toMatchObject({ outcome: 'pass', n: 121 });
  });
});

describe('guardrails trip on evidence', () => {
  // The checks of stage 1 are its gate (pre-launch evidence must pass them) and its guardrails once it runs.
  const enter = async (key: string, checks: Array<{ metric: string } & Record<string, unknown>>, good: number) => {
    await createFlag(ts, key);
    await putPlan(ts, key, { stages: [{ percent: 5, checks }, { percent: 100 }] });
    await report(ts, checks.flatMap((c) => [agg(key, c.metric, 30, good, 0), agg(key, c.metric, 30, good, 0, 'control')]));
    time.advanceMinutes(1);
    expect((await signoff(ts, key, 'pm-bob')).status).toBe(201);
    expect((await advance(ts, key)).status).toBe(200);
  };

  it('one bad sample does not pause a rollout; a breach of the stage evidence does, audited with its statistics', async () => {
    await enter('evidence-trip', [{ metric: 'error_rate', op: '<=', threshold: 0.01, guardrail: true, onBreach: 'pause' }], 0.001);
    let r = await report(ts, [{ flag: 'evidence-trip', metric: 'error_rate', value: 0.5 }]);
    expect(r.body.tripped).toEqual([]);
    expect((await ts.api('GET', '/api/flags/evidence-trip', { as: 'viewer' })).body.paused).toBe(false);
    // Healthy evidence after it: still no trip.
    r = await report(ts, [agg('evidence-trip', 'error_rate', 40, 0.004, 0.002)]);
    expect(r.body.tripped).toEqual([]);
    // 200 more at 3% errors: the whole interval is above 1%.
    r = await report(ts, [agg('evidence-trip', 'error_rate', 200, 0.03, 0.01)]);
    expect(r.body.tripped).toHaveLength(1);
    const [trip] = r.body.tripped;
    expect(trip).toMatchObject({ flag: 'evidence-trip', metric: 'error_rate', effect: 'pause', evidence: { outcome: 'breach', n: 241, confidence: 0.95 } });
    expect(trip.sample).toBeUndefined();
    expect(trip.evidence.interval[0]).toBeGreaterThan(0.01);
    expect(trip.detail).toMatch(/^error_rate breach: mean 0\.02\d+, 95% interval \[[\d.]+, [\d.]+\] breaks the limit <= 0\.01$/);
    expect((await ts.api('GET', '/api/flags/evidence-trip', { as: 'viewer' })).body).toMatchObject({ paused: true, pausedBy: 'system:guardrail' });
    const [entry] = await auditOf(ts, 'evidence-trip', 'rollout.guardrail_trip');
    expect(entry).toMatchObject({ actor: 'system:guardrail', after: { paused: true, guardrail: { effect: 'pause', stage: 1, evidence: { outcome: 'breach', n: 241, confidence: 0.95 } } } });
    expect(entry.after.guardrail.evidence.estimate).toBeCloseTo(trip.evidence.estimate, 12);
    expect(entry.after.guardrail.evidence.interval).toEqual(trip.evidence.interval);
  });

  it('a relative guardrail against the control cohort kills on a breach of the evidence', async () => {
    await enter('evidence-kill', [{ metric: 'eval_score', maxDropPct: 5, guardrail: true, onBreach: 'kill' }], 0.86);
    let r = await report(ts, [agg('evidence-kill', 'eval_score', 100, 0.86, 0.05, 'control'), { flag: 'evidence-kill', metric: 'eval_score', value: 0.1 }]);
    expect(r.body.tripped).toEqual([]);
    r = await report(ts, [agg('evidence-kill', 'eval_score', 100, 0.6, 0.05)]);
    expect(r.body.tripped).toMatchObject([{ effect: 'kill', evidence: { outcome: 'breach', n: 101, controlN: 100 }, killId: expect.any(String) }]);
    expect((await ts.api('GET', '/api/flags/evidence-kill', { as: 'viewer' })).body).toMatchObject({ killed: true, killedBy: 'system:guardrail' });
  });

  it('tripOnAny keeps the single-sample trip for a hard cap', async () => {
    const bad = await putPlan(ts, 'sized', { stages: [{ percent: 5, checks: [{ metric: 'cost_usd_per_day', op: '<=', threshold: 500, tripOnAny: true }] }, { percent: 100 }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: any) => d.path)).toContain('stages.0.checks.0.tripOnAny');
    await enter('hard-cap', [{ metric: 'cost_usd_per_day', op: '<=', threshold: 500, guardrail: true, tripOnAny: true }], 100);
    const r = await report(ts, [{ flag: 'hard-cap', metric: 'cost_usd_per_day', value: 120 }, { flag: 'hard-cap', metric: 'cost_usd_per_day', value: 640 }]);
    expect(r.body.tripped).toMatchObject([{ effect: 'pause', detail: 'cost_usd_per_day 640 breaks the limit <= 500', sample: { value: 640 } }]);
    const [entry] = await auditOf(ts, 'hard-cap', 'rollout.guardrail_trip');
    expect(entry.after.guardrail).toMatchObject({ sample: { value: 640 }, check: { tripOnAny: true } });
  });
});

describe('sign-offs bound to the evidence', () => {
  it('a sign-off records the snapshot the PM saw, and lapses by itself when a covered check moves out of pass', async () => {
    await createFlag(ts, 'bound');
    await putPlan(ts, 'bound', { stages: [{ percent: 5, checks: [{ metric: 'eval_score', maxDropPct: 5, baseline: 0.86 }] }, { percent: 100 }] });
    await report(ts, [agg('bound', 'eval_score', 120, 0.86, 0.05)]);
    const seen = await gatesOf('bound');
    expect(seen.snapshot).toMatchObject({ planVersion: 1, checks: [{ metric: 'eval_score', outcome: 'pass', n: 120 }] });
    expect(seen.snapshotId).toMatch(/^[0-9a-f]{12}$/);
    const s = await signoff(ts, 'bound', 'bob', { snapshotId: seen.snapshotId });
    expect(s.status).toBe(201);
    expect(s.body.signoff).toMatchObject({ actor: 'bob', snapshotId: seen.snapshotId, snapshot: seen.snapshot });
    const [signed] = await auditOf(ts, 'bound', 'rollout.signoff');
    expect(signed.after.signoff.snapshot).toEqual(seen.snapshot);
    let g = (await gatesOf('bound')).gates.find((x: any) => x.gate === 'signoff');
    expect(g).toMatchObject({ ok: true, signers: ['bob'], lapsed: [], signatures: [{ actor: 'bob', snapshotId: seen.snapshotId }] });

    // Worse replies arrive at 10:02: the covered check is no longer a pass, and bob's sign-off lapses.
    time.set('2026-06-01T10:02:00.000Z');
    const r = await report(ts, [agg('bound', 'eval_score', 60, 0.7, 0.05)]);
    expect(r.status).toBe(201);
    const [lapse] = await auditOf(ts, 'bound', 'signoff.lapse');
    expect(lapse).toMatchObject({ actor: 'system:gates', role: 'system', reason: 'sign-off by bob lapsed: eval_score turned inconclusive at 10:02', after: { signoff: { actor: 'bob', lapsedAt: time.iso() }, check: { metric: 'eval_score', outcome: 'inconclusive' } } });
    const gates = await gatesOf('bound');
    g = gates.gates.find((x: any) => x.gate === 'signoff');
    expect(g).toMatchObject({ ok: false, signers: [], lapsed: [{ actor: 'bob', at: time.iso(), metric: 'eval_score', outcome: 'inconclusive' }] });
    expect(g.detail).toBe('needs 1 more PM sign-off (0 of 1 for plan version 1); sign-off by bob lapsed: eval_score turned inconclusive at 10:02');
    expect(gates.ready).toBe(false);
    // Reading again lapses nothing more; the lapse is audited once.
    expect(await auditOf(ts, 'bound', 'signoff.lapse')).toHaveLength(1);

    // A stale snapshot is refused; signing what the gates show now works.
    const stale = await signoff(ts, 'bound', 'carol', { snapshotId: seen.snapshotId });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('evidence_changed');
    const list = (await ts.api('GET', '/api/flags/bound/signoffs', { as: 'viewer' })).body;
    expect(list.signoffs).toEqual([]);
    expect(list.lapsed).toMatchObject([{ actor: 'bob', lapsedAt: '2026-06-01T10:02:00.000Z', lapseReason: 'sign-off by bob lapsed: eval_score turned inconclusive at 10:02', snapshotId: seen.snapshotId }]);
    // Signing what the gates show now counts again.
    const now = await gatesOf('bound');
    expect((await signoff(ts, 'bound', 'carol', { snapshotId: now.snapshotId })).status).toBe(201);
    expect((await gatesOf('bound')).gates.find((x: any) => x.gate === 'signoff')).toMatchObject({ ok: true, signers: ['carol'] });
  });

  it('a sign-off without snapshotId is a 400 naming the field, and records nothing (issue 20)', async () => {
    await createFlag(ts, 'unseen');
    await putPlan(ts, 'unseen', { stages: [{ percent: 5 }, { percent: 100 }] });
    const r = await ts.api('POST', '/api/flags/unseen/signoffs', { token: await ts.token('pm', 'bob'), body: { comment: 'did not look' } });
    expect(r.status).toBe(400);
    expect(r.body.error.details).toEqual([expect.objectContaining({ path: 'snapshotId' })]);
    expect(r.body.error.message).toContain('GET /api/flags/:key/gates');
    expect((await ts.api('GET', '/api/flags/unseen/signoffs', { as: 'viewer' })).body.signoffs).toEqual([]);
    expect(await auditOf(ts, 'unseen', 'rollout.signoff')).toEqual([]);
  });

  it('a sign-off given before the evidence was in covers nothing and does not lapse; the author still cannot approve alone', async () => {
    await createFlag(ts, 'early-sign');
    await putPlan(ts, 'early-sign', { stages: [{ percent: 5, checks: [{ metric: 'eval_score', maxDropPct: 5, baseline: 0.86 }] }, { percent: 100 }] }, 'pm-alice');
    expect((await signoff(ts, 'early-sign', 'pm-alice')).status).toBe(201);
    expect((await signoff(ts, 'early-sign', 'bob')).status).toBe(201);
    await report(ts, [agg('early-sign', 'eval_score', 120, 0.86, 0.05)]);
    await report(ts, [agg('early-sign', 'eval_score', 60, 0.7, 0.05)]);
    expect(await auditOf(ts, 'early-sign', 'signoff.lapse')).toEqual([]);
    const g = (await gatesOf('early-sign')).gates.find((x: any) => x.gate === 'signoff');
    expect(g).toMatchObject({ ok: true, signers: ['pm-alice', 'bob'], lapsed: [] });
  });
});

describe('convergence before the next stage', () => {
  it('the next advance waits until minApplied% of connected SDKs applied the current stage, and lists those that have not', async () => {
    await createFlag(ts, 'converge');
    await putPlan(ts, 'converge', { stages: [{ percent: 5 }, { percent: 25, minApplied: 100 }, { percent: 100 }] });
    await signoff(ts, 'converge', 'bob');
    expect((await advance(ts, 'converge')).status).toBe(200);
    await signoff(ts, 'converge', 'bob');
    let g = (await gatesOf('converge')).gates.find((x: any) => x.gate === 'convergence');
    expect(g).toMatchObject({ ok: true, connected: 0, applied: 0, minApplied: 100, notApplied: [] });
    expect(g.detail).toBe('no SDK is connected: nothing to wait for');

    const { key } = await issueSdkKey(ts, 'converge-app');
    const acker = sdkPeer(ts, key);
    const silent = sdkPeer(ts, key);
    const version = (await acker.next((m) => m.type === 'snapshot')).version;
    await silent.next((m) => m.type === 'snapshot');
    acker.send({ type: 'ack', version });
    await waitFor(async () => (await gatesOf('converge')).gates.find((x: any) => x.gate === 'convergence')?.applied === 1);
    const view = await gatesOf('converge');
    g = view.gates.find((x: any) => x.gate === 'convergence');
    expect(g).toMatchObject({ ok: false, connected: 2, applied: 1, percentApplied: 50, minApplied: 100 });
    expect(g.notApplied).toHaveLength(1);
    expect(g.notApplied[0]).toMatchObject({ id: expect.any(String), stateVersion: 0 });
    expect(g.detail).toMatch(/^only 1 of 2 connected SDKs \(50%\) applied state version \d+; needs 100% before the next stage$/);
    const blocked = await advance(ts, 'converge');
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.message).toContain('convergence: only 1 of 2 connected SDKs');

    silent.send({ type: 'ack', version });
    await waitFor(async () => (await gatesOf('converge')).gates.find((x: any) => x.gate === 'convergence')?.ok === true);
    expect((await advance(ts, 'converge')).status).toBe(200);
    acker.ws.close();
    silent.ws.close();
  });
});

/** Polls a real condition (acknowledgements travel over real sockets); bounded, no timing assertion. */
async function waitFor(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached');
}
