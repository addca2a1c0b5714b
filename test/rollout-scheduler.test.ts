import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { as, auditOf, LOOPBACK_RECEIVERS, manualClock, putPlan, signoff, webhookServer, type Hook } from './rollout-fixtures.js';

const time = manualClock('2026-06-01T09:00:00.000Z');
let ts: TestServer;
let hook: Hook;

beforeAll(async () => {
  hook = await webhookServer();
  ts = await startTestServer({ clock: time.clock, config: { webhookUrl: hook.url, webhookAllow: LOOPBACK_RECEIVERS } });
});
afterAll(async () => {
  await ts.close();
  await hook.close();
});

const tick = () => ts.running.services.scheduler.tick();
const flag = async (key: string) => (await ts.api('GET', `/api/flags/${key}`, { as: 'viewer' })).body;

describe('auto-advance', () => {
  it('advances by itself once the planned date comes and every gate holds, and records each new reason it is blocked', async () => {
    await createFlag(ts, 'auto');
    await putPlan(ts, 'auto', {
      stages: [
        { percent: 5, plannedAt: '2026-06-02T09:00:00Z', autoAdvance: true },
        { percent: 25, soakMinutes: 60, autoAdvance: true },
        { percent: 100 },
      ],
    });

    // Before the planned date the scheduler does not even try.
    expect(await tick()).toEqual({ advanced: [], blocked: [] });
    expect(await auditOf(ts, 'auto', 'rollout.auto_advance_blocked')).toEqual([]);

    time.set('2026-06-02T09:00:00.000Z');
    let t = await tick();
    expect(t.blocked).toMatchObject([{ flag: 'auto', recorded: true }]);
    expect((await tick()).blocked).toMatchObject([{ flag: 'auto', recorded: false }]);
    let blocked = await auditOf(ts, 'auto', 'rollout.auto_advance_blocked');
    expect(blocked).toHaveLength(1);
    expect(blocked[0]).toMatchObject({ actor: 'system:scheduler', role: 'system', after: { stage: 0, nextStage: 1, blockedBy: ['signoff'] } });
    expect(blocked[0].reason).toBe('auto-advance to stage 1 blocked: signoff: needs 1 more PM sign-off (0 of 1 for plan version 1)');

    await signoff(ts, 'auto', 'pm-bob');
    t = await tick();
    expect(t.advanced).toEqual(['auto']);
    expect(await flag('auto')).toMatchObject({ stage: 1, percent: 5, stageStartedAt: '2026-06-02T09:00:00.000Z', updatedBy: 'system:scheduler' });
    const [adv] = await auditOf(ts, 'auto', 'rollout.advance');
    expect(adv).toMatchObject({ actor: 'system:scheduler', role: 'system', reason: 'auto-advance: planned date 2026-06-02T09:00:00.000Z reached and every gate holds', after: { auto: true } });
    await ts.running.services.webhooks.settled();
    expect(hook.received.filter((n) => n.flag === 'auto')).toMatchObject([{ event: 'rollout.advance', actor: 'system:scheduler', stage: 1 }]);

    // Stage 2 has no planned date: it goes as soon as its gates hold. A new reason is a new record.
    expect((await tick()).blocked).toMatchObject([{ recorded: true }]);
    await signoff(ts, 'auto', 'pm-carol');
    expect((await tick()).blocked).toMatchObject([{ recorded: true }]);
    time.advanceMinutes(30);
    expect((await tick()).blocked).toMatchObject([{ recorded: false }]);
    blocked = await auditOf(ts, 'auto', 'rollout.auto_advance_blocked');
    expect(blocked.map((e) => e.after.blockedBy)).toEqual([['soak'], ['signoff', 'soak'], ['signoff']]);
    time.advanceMinutes(30);
    expect((await tick()).advanced).toEqual(['auto']);
    expect(await flag('auto')).toMatchObject({ stage: 2, percent: 25 });

    // Stage 3 has no autoAdvance: the scheduler leaves it to people.
    await signoff(ts, 'auto', 'pm-bob');
    expect(await tick()).toEqual({ advanced: [], blocked: [] });
    expect(await flag('auto')).toMatchObject({ stage: 2 });
  });

  it('does not advance a paused rollout, and says so once', async () => {
    await createFlag(ts, 'auto-paused');
    await putPlan(ts, 'auto-paused', { stages: [{ percent: 50, autoAdvance: true }, { percent: 100 }] });
    await signoff(ts, 'auto-paused', 'pm-bob');
    await as(ts, 'oncall', 'olga', 'POST', '/api/flags/auto-paused/pause', { reason: 'holding for the launch' });
    const t = await tick();
    expect(t.blocked.find((b) => b.flag === 'auto-paused')).toMatchObject({ recorded: true, gates: [{ gate: 'state', ok: false }, { gate: 'signoff', ok: true }] });
    expect((await tick()).blocked.find((b) => b.flag === 'auto-paused')?.recorded).toBe(false);
    expect(await flag('auto-paused')).toMatchObject({ stage: 0, paused: true });
    await as(ts, 'oncall', 'olga', 'POST', '/api/flags/auto-paused/resume', { reason: 'go' });
    expect((await tick()).advanced).toEqual(['auto-paused']);
  });
});
