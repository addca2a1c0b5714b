import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../server/changes.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { auditOf, LOOPBACK_RECEIVERS, manualClock, putPlan, report, signAndAdvance, webhookServer, type Hook } from './rollout-fixtures.js';

const time = manualClock('2026-06-01T09:00:00.000Z');
let ts: TestServer;
let serverHook: Hook;
let planHook: Hook;

beforeAll(async () => {
  serverHook = await webhookServer();
  planHook = await webhookServer();
  ts = await startTestServer({ clock: time.clock, config: { webhookUrl: serverHook.url, webhookAllow: LOOPBACK_RECEIVERS } });
});
afterAll(async () => {
  await ts.close();
  await serverHook.close();
  await planHook.close();
});

const events = (key: string) => serverHook.received.filter((n) => n.flag === key).map((n) => n.event);

describe('guardrails', () => {
  it('pause the rollout on a breaching sample, as system:guardrail, audited with the sample, pushed and notified', async () => {
    await createFlag(ts, 'guarded');
    await putPlan(ts, 'guarded', {
      webhookUrl: planHook.url,
      stages: [{ percent: 5, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.01, guardrail: true, onBreach: 'pause', tripOnAny: true }] }, { percent: 100 }],
    });
    // The check is also the gate into stage 1: pre-launch (shadow) traffic must meet it (30 requests, one aggregate).
    // A hard cap (`tripOnAny`) trips on one breaking sample; trips on the stage's evidence: rollout-evidence.test.ts.
    expect((await report(ts, [{ flag: 'guarded', metric: 'error_rate', count: 30, mean: 0.001, stddev: 0 }])).body.tripped).toEqual([]);
    time.advanceMinutes(1);
    await signAndAdvance(ts, 'guarded');
    // A late sample dated before the stage began does not trip the stage's guardrail.
    const late = await report(ts, [{ flag: 'guarded', metric: 'error_rate', value: 0.5, at: '2026-06-01T08:00:00Z' }]);
    expect(late.body.tripped).toEqual([]);
    await planHook.waitFor(1);
    expect(planHook.received[0]).toMatchObject({ event: 'rollout.advance', flag: 'guarded', actor: 'pm-bob', stage: 1, percent: 5, planVersion: 1 });
    expect(planHook.received[0]._headers['content-type']).toBe('application/json');

    const pushed: ChangeEvent[] = [];
    const unsubscribe = ts.running.bus.subscribe((e) => pushed.push(e));
    const r = await report(ts, [
      { flag: 'guarded', metric: 'error_rate', value: 0.004 },
      { flag: 'guarded', metric: 'error_rate', value: 0.02, cohort: 'control' },
      { flag: 'guarded', metric: 'error_rate', value: 0.031 },
      { flag: 'guarded', metric: 'error_rate', value: 0.05 },
    ]);
    unsubscribe();
    expect(r.status).toBe(201);
    expect(r.body.tripped).toEqual([
      {
        flag: 'guarded',
        metric: 'error_rate',
        effect: 'pause',
        detail: 'error_rate 0.031 breaks the limit <= 0.01',
        sample: { flag: 'guarded', metric: 'error_rate', value: 0.031, cohort: 'treatment', at: time.iso() },
        auditSeq: expect.any(Number),
      },
    ]);
    const flag = (await ts.api('GET', '/api/flags/guarded', { as: 'viewer' })).body;
    expect(flag).toMatchObject({ paused: true, pausedBy: 'system:guardrail', killed: false, stage: 1, percent: 5 });
    expect(pushed.filter((e) => e.type === 'flag')).toEqual([expect.objectContaining({ key: 'guarded', action: 'rollout.guardrail_trip' })]);

    const [entry] = await auditOf(ts, 'guarded', 'rollout.guardrail_trip');
    expect(entry).toMatchObject({
      actor: 'system:guardrail',
      role: 'system',
      before: { paused: false },
      after: { paused: true, guardrail: { effect: 'pause', stage: 1, sample: { value: 0.031 }, check: { metric: 'error_rate', threshold: 0.01 } } },
    });
    expect(entry.reason).toContain('guardrail tripped at stage 1: error_rate 0.031 breaks the limit <= 0.01; rollout paused');

    await planHook.waitFor(2);
    expect(planHook.received[1]).toMatchObject({ event: 'rollout.guardrail_trip', paused: true, guardrail: { effect: 'pause', sample: { value: 0.031 } } });
    // Both the plan's webhook and the server-wide one hear about it.
    await ts.running.services.webhooks.settled();
    expect(events('guarded')).toEqual(['rollout.advance', 'rollout.guardrail_trip']);

    // Already paused: more bad samples change nothing.
    expect((await report(ts, [{ flag: 'guarded', metric: 'error_rate', value: 0.9 }])).body.tripped).toEqual([]);
    expect(await auditOf(ts, 'guarded', 'rollout.guardrail_trip')).toHaveLength(1);
  });

  it('kill the flag when the plan says so, judging a relative drop against the control cohort', async () => {
    await createFlag(ts, 'killer');
    await putPlan(ts, 'killer', {
      stages: [{ percent: 10, checks: [{ metric: 'eval_score', maxDropPct: 5, guardrail: true, onBreach: 'kill', tripOnAny: true }] }, { percent: 100 }],
    });
    await report(ts, [
      { flag: 'killer', metric: 'eval_score', count: 30, mean: 0.9, stddev: 0, cohort: 'control' },
      { flag: 'killer', metric: 'eval_score', count: 30, mean: 0.89, stddev: 0 },
    ]);
    time.advanceMinutes(1);
    await signAndAdvance(ts, 'killer');
    let r = await report(ts, [
      { flag: 'killer', metric: 'eval_score', value: 0.9, cohort: 'control' },
      { flag: 'killer', metric: 'eval_score', value: 0.88 },
    ]);
    expect(r.body.tripped).toEqual([]);
    r = await report(ts, [{ flag: 'killer', metric: 'eval_score', value: 0.8 }]);
    expect(r.body.tripped).toMatchObject([{ effect: 'kill', detail: 'eval_score 0.8 is 11.1% below baseline 0.9, limit 5%' }]);
    const flag = (await ts.api('GET', '/api/flags/killer', { as: 'viewer' })).body;
    expect(flag).toMatchObject({ killed: true, killedBy: 'system:guardrail', stage: 1 });

    // A person restores it; a kill and a restore by hand are notified like the trip.
    expect((await ts.api('POST', '/api/flags/killer/restore', { as: 'oncall', body: { reason: 'false alarm' } })).status).toBe(200);
    await ts.running.services.webhooks.settled();
    expect(events('killer')).toEqual(['rollout.advance', 'rollout.guardrail_trip', 'flag.restore']);
    const restore = serverHook.received.find((n) => n.flag === 'killer' && n.event === 'flag.restore');
    expect(restore).toMatchObject({ actor: 'oncall-user', role: 'oncall', reason: 'false alarm', killed: false, stage: 1 });
  });

  it('notify kills of flags without a plan through the server-wide webhook', async () => {
    await createFlag(ts, 'plain');
    await ts.api('POST', '/api/flags/plain/kill', { as: 'oncall', body: { reason: '3am incident' } });
    await ts.running.services.webhooks.settled();
    expect(serverHook.received.filter((n) => n.flag === 'plain')).toMatchObject([{ event: 'flag.kill', killed: true, reason: '3am incident' }]);
  });
});

describe('a failing webhook', () => {
  let other: TestServer;
  let hanging: Hook;
  let failing: Hook;

  beforeAll(async () => {
    hanging = await webhookServer({ hang: true });
    failing = await webhookServer({ status: 500 });
    other = await startTestServer({ clock: time.clock, config: { webhookUrl: hanging.url, webhookAllow: LOOPBACK_RECEIVERS } });
  });
  afterAll(async () => {
    await other.close();
    await failing.close();
  });

  it('never blocks or undoes an advance or a guardrail trip, and is logged', async () => {
    await createFlag(other, 'hooked');
    await putPlan(other, 'hooked', {
      webhookUrl: failing.url,
      stages: [{ percent: 5, checks: [{ metric: 'error_rate', op: '<', threshold: 0.01, guardrail: true, onBreach: 'kill', tripOnAny: true }] }, { percent: 100 }],
    });
    await report(other, [{ flag: 'hooked', metric: 'error_rate', count: 30, mean: 0, stddev: 0 }]);
    time.advanceMinutes(1);
    const adv = await signAndAdvance(other, 'hooked');
    expect(adv.body).toMatchObject({ stage: 1, percent: 5 });
    const trip = await report(other, [{ flag: 'hooked', metric: 'error_rate', value: 0.2 }]);
    expect(trip.body.tripped).toMatchObject([{ effect: 'kill' }]);
    expect((await other.api('GET', '/api/flags/hooked', { as: 'viewer' })).body).toMatchObject({ stage: 1, killed: true });

    await hanging.waitFor(2); // both notices reached the hanging receiver, which never answers
    await hanging.close(); // its connections drop: the pending deliveries fail
    await other.running.services.webhooks.settled();
    expect(failing.received.map((n) => n.event)).toEqual(['rollout.advance', 'rollout.guardrail_trip']);
    const warnings = other.logs.map((l) => JSON.parse(l)).filter((l) => l.webhook);
    expect(warnings.filter((l) => l.status === 500)).toHaveLength(2);
    expect(warnings.filter((l) => l.msg === 'webhook failed')).toHaveLength(2);
    expect(other.logs.join('\n')).not.toContain('secret-path');
  });
});
