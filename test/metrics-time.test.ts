import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { manualClock, putPlan, report, signAndAdvance } from './rollout-fixtures.js';

// Time that cannot be stepped (issue 11): stage ages, soak times and guardrail freshness come
// from the server's receive time on a monotonic clock; reporter `at` values have a stated tolerance.
const time = manualClock('2026-06-01T09:00:00.000Z');
let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({ clock: time.clock });
});
afterAll(async () => {
  await ts.close();
});

const killGuard = { stages: [{ percent: 5, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.05, guardrail: true, onBreach: 'kill', tripOnAny: true }] }, { percent: 100 }] };
// Pre-launch evidence that passes the gate into stage 1: 30 clean requests, as one aggregate.
const clean = (flag: string) => ({ flag, metric: 'error_rate', count: 30, mean: 0, stddev: 0 });
const flag = async (key: string) => (await ts.api('GET', `/api/flags/${key}`, { as: 'viewer' })).body;

describe('time that cannot be stepped', () => {
  it('after a 10-minute wall-clock step back, an error_rate of 0.9 still trips the guardrail', async () => {
    await createFlag(ts, 'stepped-back');
    await putPlan(ts, 'stepped-back', killGuard);
    await report(ts, [clean('stepped-back')]);
    time.advanceMinutes(1);
    await signAndAdvance(ts, 'stepped-back');
    time.stepWallMinutes(-10);
    const r = await report(ts, [{ flag: 'stepped-back', metric: 'error_rate', value: 0.9 }]);
    expect(r.status).toBe(201);
    expect(r.body.tripped).toEqual([expect.objectContaining({ flag: 'stepped-back', effect: 'kill' })]);
    expect(await flag('stepped-back')).toMatchObject({ killed: true, killedBy: 'system:guardrail' });
    // On-call can see the step: the wall clock is 10 minutes behind the server's steady time.
    expect((await ts.api('GET', '/metrics', { as: 'admin' })).text).toMatch(/^switchyard_clock_skew_seconds -600$/m);
    time.stepWallMinutes(10);
  });

  it('a reporter whose at lags by four minutes does not blind the guardrail right after the stage began', async () => {
    await createFlag(ts, 'lagging');
    await putPlan(ts, 'lagging', killGuard);
    await report(ts, [clean('lagging')]);
    time.advanceMinutes(1);
    await signAndAdvance(ts, 'lagging');
    time.advanceMinutes(1);
    const lagging = new Date(time.clock().getTime() - 4 * 60_000).toISOString();
    const r = await report(ts, [{ flag: 'lagging', metric: 'error_rate', value: 0.9, at: lagging }]);
    expect(r.body.tripped).toEqual([expect.objectContaining({ flag: 'lagging', effect: 'kill', sample: expect.objectContaining({ at: lagging }) })]);
  });

  it('a sample measured before the stage began never counts for it, and the reporter is told', async () => {
    await createFlag(ts, 'late-delivery');
    await putPlan(ts, 'late-delivery', { stages: [{ percent: 5 }, { percent: 50, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.05, guardrail: true }] }, { percent: 100 }] });
    time.advanceMinutes(1);
    await signAndAdvance(ts, 'late-delivery');
    time.advanceMinutes(30);
    const r = await report(ts, [{ flag: 'late-delivery', metric: 'error_rate', value: 0.001, at: new Date(time.clock().getTime() - 40 * 60_000).toISOString() }]);
    expect(r.body).toEqual({ stored: 1, tripped: [], uncounted: 1 });
    const gates = (await ts.api('GET', '/api/flags/late-delivery/gates', { as: 'viewer' })).body.gates;
    expect(gates.find((g: any) => g.gate === 'metric')).toMatchObject({ ok: false, samples: 0 });
  });

  it('stepping the wall clock a day forward does not end a soak, and stepping it back does not lengthen one', async () => {
    await createFlag(ts, 'soaking');
    await putPlan(ts, 'soaking', { stages: [{ percent: 5 }, { percent: 50, soakMinutes: 60 }, { percent: 100 }] });
    await signAndAdvance(ts, 'soaking');
    const soak = async () => (await ts.api('GET', '/api/flags/soaking/gates', { as: 'viewer' })).body.gates.find((g: any) => g.gate === 'soak');
    time.stepWallMinutes(24 * 60);
    expect(await soak()).toMatchObject({ ok: false, detail: 'soak: 1h0m left (needs 1h0m at stage 1)' });
    time.stepWallMinutes(-48 * 60);
    time.advanceMinutes(60);
    expect(await soak()).toMatchObject({ ok: true });
    time.stepWallMinutes(24 * 60);
  });
});
