import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { advance, as, auditOf, manualClock, putPlan, report, signAndAdvance, signoff } from './rollout-fixtures.js';

const time = manualClock('2026-06-01T09:00:00.000Z');
let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({ clock: time.clock });
});
afterAll(async () => {
  await ts.close();
});

const failing = (body: any) => body.error.details.gates.filter((g: any) => !g.ok);

describe('advancing a rollout through its gates', () => {
  it('blocks on each gate kind in turn and advances once every gate holds', async () => {
    await createFlag(ts, 'support-draft');
    const plan = {
      cohort: [{ attr: 'plan', op: 'in', values: ['pro', 'team'] }],
      stages: [
        {
          percent: 5,
          checks: [
            { metric: 'eval_score', maxDropPct: 5, baseline: 0.86 },
            { metric: 'error_rate', op: '<=', threshold: 0.01, guardrail: true, onBreach: 'pause' },
          ],
        },
        { percent: 25, soakMinutes: 1440, plannedAt: '2026-06-03T09:00:00Z', checks: [{ metric: 'p95_latency_ms', op: '<=', threshold: 2500 }] },
        { percent: 100, signoffs: 2, checks: [{ metric: 'eval_score', maxDropPct: 5 }] },
      ],
    };
    expect((await putPlan(ts, 'support-draft', plan)).status).toBe(200);

    // 1. Sign-off is missing, and no metric has been reported.
    let r = await advance(ts, 'support-draft');
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('gates_not_met');
    expect(r.body.error.message).toContain('needs 1 more PM sign-off');
    expect(failing(r.body).map((g: any) => g.detail)).toEqual([
      'needs 1 more PM sign-off (0 of 1 for plan version 1)',
      'no eval_score sample since the stage started',
      'no error_rate sample since the stage started',
    ]);

    // 2. Signed, but eval_score is 8.1% below its baseline, on 40 graded replies (an evaluation job's aggregate).
    expect((await signoff(ts, 'support-draft', 'pm-bob')).status).toBe(201);
    await report(ts, [
      { flag: 'support-draft', metric: 'eval_score', count: 40, mean: 0.79, stddev: 0.02 },
      { flag: 'support-draft', metric: 'error_rate', count: 40, mean: 0.004, stddev: 0.001 },
    ]);
    r = await advance(ts, 'support-draft');
    expect(r.status).toBe(409);
    const [evalGate] = failing(r.body);
    expect(evalGate).toMatchObject({ gate: 'metric', metric: 'eval_score', outcome: 'breach', observed: 0.79, baseline: 0.86, baselineSource: 'plan', n: 40 });
    expect(evalGate.detail).toBe('eval_score breach: -8.14% vs baseline 0.86, 95% interval [-9.642%, -6.637%] is below −5%');
    expect((await ts.api('GET', '/api/flags/support-draft', { as: 'viewer' })).body).toMatchObject({ stage: 0, percent: 0, version: 2 });

    // 3. 200 better replies lift the mean: (40 × 0.79 + 200 × 0.86) / 240 = 0.848, 1.4% below 0.86, and the interval clears −5%.
    await report(ts, [{ flag: 'support-draft', metric: 'eval_score', count: 200, mean: 0.86, stddev: 0.02 }]);
    const gates = await ts.api('GET', '/api/flags/support-draft/gates', { as: 'viewer' });
    expect(gates.body).toMatchObject({ stage: 0, nextStage: 1, nextPercent: 5, ready: true });
    r = await advance(ts, 'support-draft', { version: gates.body.flagVersion });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ stage: 1, percent: 5, flag: { stage: 1, percent: 5, stageStartedAt: time.iso() } });

    // 4. Stage 2: the old samples belong to the previous stage; soak and schedule both block.
    expect((await signoff(ts, 'support-draft', 'pm-bob')).status).toBe(201);
    time.advanceMinutes(60);
    r = await advance(ts, 'support-draft');
    expect(failing(r.body).map((g: any) => [g.gate, g.detail])).toEqual([
      ['metric', 'no p95_latency_ms sample since the stage started'],
      ['soak', 'soak: 23h0m left (needs 1d0h at stage 1)'],
      ['schedule', 'planned for 2026-06-03T09:00:00.000Z: 1d23h left'],
    ]);
    await report(ts, [{ flag: 'support-draft', metric: 'p95_latency_ms', count: 40, mean: 3100, stddev: 200 }]);
    time.advanceMinutes(23 * 60 - 12);
    r = await advance(ts, 'support-draft');
    expect(failing(r.body).map((g: any) => [g.gate, g.detail])).toEqual([
      ['metric', 'p95_latency_ms breach: mean 3100, 95% interval [2971, 3229] breaks the limit <= 2500'],
      ['soak', 'soak: 12m left (needs 1d0h at stage 1)'],
      ['schedule', 'planned for 2026-06-03T09:00:00.000Z: 1d0h left'],
    ]);
    await report(ts, [{ flag: 'support-draft', metric: 'p95_latency_ms', count: 400, mean: 1500, stddev: 200 }]);
    time.set('2026-06-03T09:00:00.000Z');
    r = await advance(ts, 'support-draft');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ stage: 2, percent: 25 });
    // From stage 1 on, convergence too (no SDK connected here: it holds).
    expect(r.body.gates.map((g: any) => g.gate)).toEqual(['signoff', 'metric', 'convergence', 'soak', 'schedule']);

    // 5. Stage 3 needs two PMs and a relative check against the control cohort.
    expect((await signoff(ts, 'support-draft', 'pm-bob')).status).toBe(201);
    await report(ts, [
      { flag: 'support-draft', metric: 'eval_score', count: 40, mean: 0.8, stddev: 0.02, cohort: 'treatment' },
      { flag: 'support-draft', metric: 'eval_score', count: 40, mean: 0.9, stddev: 0.02, cohort: 'control' },
    ]);
    r = await advance(ts, 'support-draft');
    expect(failing(r.body).map((g: any) => g.detail)).toEqual([
      'needs 1 more PM sign-off (1 of 2 for plan version 1)',
      'eval_score breach: -11.11% vs control mean 0.9 (40 samples), 95% interval [-13.92%, -8.221%] is below −5%',
    ]);
    expect((await signoff(ts, 'support-draft', 'pm-carol')).status).toBe(201);
    // 400 more of each at 0.9: the treatment mean (40 × 0.8 + 400 × 0.9) / 440 = 0.891 is 1% below the control's 0.9.
    await report(ts, ['treatment', 'control'].map((cohort) => ({ flag: 'support-draft', metric: 'eval_score', count: 400, mean: 0.9, stddev: 0.02, cohort })));
    r = await advance(ts, 'support-draft');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ stage: 3, percent: 100 });

    r = await advance(ts, 'support-draft');
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('rollout_complete');

    const advances = await auditOf(ts, 'support-draft', 'rollout.advance');
    expect(advances.map((e) => [e.before.stage, e.after.stage, e.actor])).toEqual([
      [2, 3, 'pm-bob'],
      [1, 2, 'pm-bob'],
      [0, 1, 'pm-bob'],
    ]);
    expect(advances[0].after.gates.every((g: any) => g.ok)).toBe(true);
  });

  it('refuses an advance that changes nothing, and a failed advance leaves no audit entry', async () => {
    await createFlag(ts, 'gated-nothing');
    await putPlan(ts, 'gated-nothing', {});
    const before = await ts.api('GET', '/api/flags/gated-nothing', { as: 'viewer' });
    expect((await advance(ts, 'gated-nothing')).status).toBe(409);
    const after = await ts.api('GET', '/api/flags/gated-nothing', { as: 'viewer' });
    expect(after.body).toEqual(before.body);
    expect(await auditOf(ts, 'gated-nothing', 'rollout.advance')).toEqual([]);
  });

  it('does not let the author of the plan version be its only approver', async () => {
    await createFlag(ts, 'self-approved');
    await putPlan(ts, 'self-approved', {}, 'pm-alice');
    const s = await signoff(ts, 'self-approved', 'pm-alice');
    expect(s.status).toBe(201);
    expect(s.body.note).toContain('another PM must sign off stage 1');
    expect(s.body.gate.ok).toBe(false);
    const r = await advance(ts, 'self-approved', {}, 'pm-alice');
    expect(r.status).toBe(409);
    expect(failing(r.body)[0].detail).toBe('needs a sign-off from a PM other than pm-alice, who wrote plan version 1: the author cannot be its only approver');
    expect((await signoff(ts, 'self-approved', 'pm-bob')).status).toBe(201);
    expect((await advance(ts, 'self-approved', {}, 'pm-alice')).status).toBe(200);
  });

  it('lets only PMs sign off, once per plan version and stage, even admins are refused', async () => {
    await createFlag(ts, 'who-signs');
    await putPlan(ts, 'who-signs', {});
    for (const role of ['admin', 'engineer', 'oncall', 'viewer', 'metrics'] as const) {
      const r = await ts.api('POST', '/api/flags/who-signs/signoffs', { as: role, body: { comment: 'looks fine' } });
      expect(r.status).toBe(403);
    }
    expect((await signoff(ts, 'who-signs', 'pm-bob')).status).toBe(201);
    const again = await signoff(ts, 'who-signs', 'pm-bob');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_signed');
    const stale = await signoff(ts, 'who-signs', 'pm-carol', { planVersion: 7 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('plan_changed');
    const list = await ts.api('GET', '/api/flags/who-signs/signoffs', { as: 'viewer' });
    expect(list.body).toMatchObject({ planVersion: 1, nextStage: 1, signoffs: [{ actor: 'pm-bob', stage: 1, comment: 'reviewed by pm-bob' }] });
    expect((await ts.api('POST', '/api/flags/who-signs/signoffs', { as: 'pm', body: {} })).status).toBe(400);
  });

  it('blocks advances while paused or killed, and says which', async () => {
    await createFlag(ts, 'on-hold');
    await putPlan(ts, 'on-hold', {});
    await signoff(ts, 'on-hold', 'pm-bob');
    expect((await as(ts, 'oncall', 'oncall-olga', 'POST', '/api/flags/on-hold/pause', { reason: 'investigating' })).status).toBe(200);
    let r = await advance(ts, 'on-hold');
    expect(failing(r.body)[0]).toMatchObject({ gate: 'state', detail: 'the rollout is paused by oncall-olga (investigating); resume it before advancing' });
    await as(ts, 'oncall', 'oncall-olga', 'POST', '/api/flags/on-hold/resume', { reason: 'fine' });
    await ts.api('POST', '/api/flags/on-hold/kill', { as: 'oncall', body: { reason: 'bad' } });
    r = await advance(ts, 'on-hold');
    expect(failing(r.body)[0].detail).toBe('the flag is killed (bad); restore it before advancing');
  });

  it('rejects a stale version with version_conflict and changes nothing', async () => {
    await createFlag(ts, 'stale');
    await putPlan(ts, 'stale', {});
    await signoff(ts, 'stale', 'pm-bob');
    const r = await advance(ts, 'stale', { version: 1 });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('version_conflict');
    expect((await ts.api('GET', '/api/flags/stale', { as: 'viewer' })).body.stage).toBe(0);
  });

  it('lets exactly one of two simultaneous advances win; the other gets a clear 409', async () => {
    await createFlag(ts, 'race');
    await putPlan(ts, 'race', {});
    await signoff(ts, 'race', 'pm-bob');
    const [a, b] = await Promise.all([advance(ts, 'race', {}, 'pm-bob'), advance(ts, 'race', {}, 'pm-carol')]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const loser = a.status === 409 ? a : b;
    expect(loser.body.error.code).toBe('gates_not_met');
    expect(loser.body.error.message).toContain('cannot advance flag "race" to stage 2 (25%)');
    expect((await ts.api('GET', '/api/flags/race', { as: 'viewer' })).body).toMatchObject({ stage: 1, percent: 5 });

    // With the version both saw, the second one is a version conflict even when its gates would hold.
    await signoff(ts, 'race', 'pm-bob');
    const v = (await ts.api('GET', '/api/flags/race', { as: 'viewer' })).body.version;
    const [c, d] = await Promise.all([advance(ts, 'race', { version: v }, 'pm-bob'), advance(ts, 'race', { version: v, toStage: 2 }, 'pm-carol')]);
    expect([c.status, d.status].sort()).toEqual([200, 409]);
    expect((c.status === 409 ? c : d).body.error.code).toBe('version_conflict');
    expect((await ts.api('GET', '/api/flags/race', { as: 'viewer' })).body).toMatchObject({ stage: 2, percent: 25 });
  });

  it('never gates rollback, pause and resume, and a rollback voids the sign-offs above it', async () => {
    await createFlag(ts, 'safety');
    await putPlan(ts, 'safety', { stages: [{ percent: 10 }, { percent: 50, soakMinutes: 600, checks: [{ metric: 'error_rate', op: '<', threshold: 0.01 }] }, { percent: 100 }] });
    await signAndAdvance(ts, 'safety');
    await signoff(ts, 'safety', 'pm-bob');
    // Every gate of stage 2 fails now, yet the safety actions all work, for oncall too.
    let r = await as(ts, 'oncall', 'oncall-olga', 'POST', '/api/flags/safety/pause', { reason: 'error spike' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ changed: true, flag: { paused: true, pausedBy: 'oncall-olga', pauseReason: 'error spike' } });
    r = await as(ts, 'oncall', 'oncall-olga', 'POST', '/api/flags/safety/pause', { reason: 'again' });
    expect(r.body.changed).toBe(false);
    r = await as(ts, 'oncall', 'oncall-olga', 'POST', '/api/flags/safety/rollback', { reason: 'error spike' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ stage: 0, percent: 0, changed: true });
    r = await as(ts, 'oncall', 'oncall-olga', 'POST', '/api/flags/safety/resume', { reason: 'fixed' });
    expect(r.body).toMatchObject({ changed: true, flag: { paused: false, pausedBy: null } });

    // The sign-off for stage 1 was given before the rollback: it no longer counts.
    const gates = await ts.api('GET', '/api/flags/safety/gates', { as: 'viewer' });
    expect(gates.body.gates[0]).toMatchObject({ gate: 'signoff', ok: false, signers: [] });
    const rollbacks = await auditOf(ts, 'safety', 'rollout.rollback');
    expect(rollbacks[0]).toMatchObject({ actor: 'oncall-olga', role: 'oncall', reason: 'error spike', before: { stage: 1 }, after: { stage: 0, voidedSignoffs: 2 } });

    expect((await as(ts, 'oncall', 'o', 'POST', '/api/flags/safety/rollback', { reason: 'x', toStage: 2 })).status).toBe(400);
    expect((await as(ts, 'oncall', 'o', 'POST', '/api/flags/safety/advance', { reason: 'x' })).status).toBe(403);
    expect((await as(ts, 'viewer', 'v', 'POST', '/api/flags/safety/pause', { reason: 'x' })).status).toBe(403);
    expect((await as(ts, 'oncall', 'o', 'POST', '/api/flags/safety/pause', {})).status).toBe(400);
  });

  it('rolls back to a chosen stage, and clients cannot set stage fields directly', async () => {
    await createFlag(ts, 'jump-back');
    await putPlan(ts, 'jump-back', {});
    await signAndAdvance(ts, 'jump-back');
    await signAndAdvance(ts, 'jump-back');
    const r = await as(ts, 'pm', 'pm-bob', 'POST', '/api/flags/jump-back/rollback', { reason: 'too fast', toStage: 0 });
    expect(r.body).toMatchObject({ stage: 0, percent: 0 });
    const patch = await ts.api('PATCH', '/api/flags/jump-back', { as: 'engineer', body: { version: r.body.flag.version, stage: 3 } });
    expect(patch.status).toBe(400);
    const adv = await advance(ts, 'jump-back', { stage: 3 });
    expect(adv.status).toBe(400);
  });
});
