import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { putPlanSchema } from '../../server/rollout/plan-schema.js';
import { actor, createFlag, unitServices, type UnitWorld } from '../helpers/unit-services.js';

let w: UnitWorld;
beforeEach(async () => {
  w = await unitServices({ start: '2026-06-01T09:00:00.000Z' });
});
afterEach(async () => {
  await w.close();
});

type Sample = Parameters<UnitWorld['samples']['ingest']>[1][number];
const report = (samples: Array<Partial<Sample> & { flag: string; value: number }>) =>
  w.samples.ingest(actor('metrics', 'metrics-bot'), samples.map((s) => ({ metric: 'error_rate', cohort: 'treatment' as const, ...s })), true);

// A hard cap (`tripOnAny`): one sample that breaks it trips it. Trips on the stage's evidence: test/rollout-evidence.test.ts.
async function guarded(key: string, onBreach: 'pause' | 'kill') {
  await createFlag(w, key);
  await w.plans.put(actor('pm', 'pm-author'), key, putPlanSchema.parse({ stages: [{ percent: 5, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.01, guardrail: true, onBreach, tripOnAny: true }] }, { percent: 100 }] }));
  // Pre-launch evidence that passes the gate into stage 1: 30 requests at 0.1% errors, as one aggregate.
  expect((await report([{ flag: key, value: 0.001, count: 30, stddev: 0 }])).tripped).toEqual([]);
  w.time.advanceMinutes(10);
  await w.plans.signoff(actor('pm', 'pm-bob'), key, { comment: 'ok' });
  await w.rollouts.advance(actor('pm', 'pm-bob'), key);
}

describe('guardrails, tripped through sample ingestion', () => {
  it('a breaching treatment sample pauses the rollout as system:guardrail, audited; control samples and late samples do not trip it', async () => {
    await guarded('guarded', 'pause');
    expect((await report([{ flag: 'guarded', value: 0.5, at: '2026-06-01T08:00:00Z' }])).tripped).toEqual([]);
    const r = await report([
      { flag: 'guarded', value: 0.004 },
      { flag: 'guarded', value: 0.02, cohort: 'control' },
      { flag: 'guarded', value: 0.031 },
      { flag: 'guarded', value: 0.05 },
    ]);
    expect(r.tripped).toEqual([
      {
        flag: 'guarded',
        metric: 'error_rate',
        effect: 'pause',
        detail: 'error_rate 0.031 breaks the limit <= 0.01',
        sample: { flag: 'guarded', metric: 'error_rate', value: 0.031, cohort: 'treatment', at: w.time.iso() },
        auditSeq: expect.any(Number),
      },
    ]);
    expect(await w.flags.get('guarded')).toMatchObject({ paused: true, pausedBy: 'system:guardrail', stage: 1, killed: false });
    const [entry] = (await w.audit.list({ flag: 'guarded', action: 'rollout.guardrail_trip' }, undefined, 5)).entries;
    expect(entry).toMatchObject({
      seq: r.tripped[0]!.auditSeq,
      actor: 'system:guardrail',
      before: { paused: false },
      after: { paused: true, guardrail: { effect: 'pause', stage: 1, sample: { value: 0.031 }, check: { metric: 'error_rate', threshold: 0.01 } } },
    });
    expect(entry!.reason).toContain('guardrail tripped at stage 1: error_rate 0.031 breaks the limit <= 0.01; rollout paused');
  });

  it('a kill guardrail kills the flag under a kill id, and restoring by that id brings it back at its stage', async () => {
    await guarded('guarded-kill', 'kill');
    const r = await report([{ flag: 'guarded-kill', value: 0.2 }]);
    expect(r.tripped).toMatchObject([{ effect: 'kill', killId: expect.any(String) }]);
    const killId = (r.tripped[0] as { killId: string }).killId;
    expect(await w.flags.get('guarded-kill')).toMatchObject({ killed: true, killedBy: 'system:guardrail', killId });
    expect(await w.kills.restoreKill(actor('oncall'), killId, 'false alarm')).toMatchObject({ changed: ['guarded-kill'], unchanged: [], notThisKill: [] });
    expect(await w.flags.get('guarded-kill')).toMatchObject({ killed: false, killId: null, stage: 1 });
  });
});
