import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { as, manualClock, stagingBeforeProduction } from './rollout-fixtures.js';

const time = manualClock('2026-06-01T09:00:00.000Z');
let ts: TestServer;

const envPath = (env: string, key: string, rest: string) => `/api/envs/${env}/flags/${key}/${rest}`;
const gatesIn = async (env: string, key: string) => (await ts.api('GET', envPath(env, key, 'gates'), { as: 'viewer' })).body;
const previousGate = async (env: string, key: string) => (await gatesIn(env, key)).gates.find((g: any) => g.gate === 'previous');

/** Signs off the next stage in `env` as a PM other than the author, then advances; returns the advance's answer. */
async function signAndAdvanceIn(env: string, key: string) {
  const snapshotId = (await gatesIn(env, key)).snapshotId;
  const s = await as(ts, 'pm', 'pm-bob', 'POST', envPath(env, key, 'signoffs'), { comment: 'reviewed', snapshotId });
  if (s.status !== 201) throw new Error(`signoff in ${env}: ${s.status} ${s.text}`);
  return as(ts, 'pm', 'pm-bob', 'POST', envPath(env, key, 'advance'), { reason: 'gates hold' });
}

const plan = { stages: [{ percent: 5 }, { percent: 25, requirePrevious: { soakMinutes: 1440 } }, { percent: 100 }] };

beforeAll(async () => {
  ts = await startTestServer({ clock: time.clock });
  await stagingBeforeProduction(ts);
});
afterAll(() => ts.close());

describe('requirePrevious: production enters 25% only after staging held 25% for the soak', () => {
  it('blocks while staging has not held 25% long enough, restarts after a kill in staging, and passes after the soak', async () => {
    await createFlag(ts, 'reply-model');
    for (const env of ['staging', 'production']) expect((await as(ts, 'pm', 'pm-author', 'PUT', envPath(env, 'reply-model', 'plan'), plan)).status).toBe(200);
    expect((await signAndAdvanceIn('production', 'reply-model')).status).toBe(200);

    // Staging serves nothing yet: production's way to 25% is closed, and says why.
    expect(await previousGate('production', 'reply-model')).toMatchObject({
      ok: false, environment: 'staging', threshold: 1440, observed: 0,
      detail: 'staging serves 0%, not 25%: it must hold 25% for 24 h, unkilled and unpaused',
    });

    // Staging is the first environment: its own requirePrevious has nothing before it to wait for.
    expect((await signAndAdvanceIn('staging', 'reply-model')).status).toBe(200);
    expect(await previousGate('staging', 'reply-model')).toMatchObject({ ok: true, environment: null });
    expect((await signAndAdvanceIn('staging', 'reply-model')).status).toBe(200);

    time.advanceMinutes(180);
    expect((await previousGate('production', 'reply-model')).detail).toBe('staging has held 25% for 3 h of 24 h: 21 h to go');
    const blocked = await signAndAdvanceIn('production', 'reply-model');
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.code).toBe('gates_not_met');
    expect(blocked.body.error.message).toContain('previous: staging has held 25% for 3 h of 24 h');

    // A kill in staging restarts the soak: the hours before it no longer count.
    expect((await ts.api('POST', envPath('staging', 'reply-model', 'kill'), { as: 'oncall', body: { reason: 'bad replies' } })).status).toBe(200);
    time.advanceMinutes(60);
    expect((await previousGate('production', 'reply-model')).detail).toMatch(/^staging is killed/);
    expect((await ts.api('POST', envPath('staging', 'reply-model', 'restore'), { as: 'oncall', body: { reason: 'fixed' } })).status).toBe(200);
    time.advanceMinutes(23 * 60);
    expect((await previousGate('production', 'reply-model')).detail).toBe('staging has held 25% for 23 h of 24 h: 1 h to go');
    expect((await as(ts, 'pm', 'pm-bob', 'POST', envPath('production', 'reply-model', 'advance'), { reason: 'not yet' })).status).toBe(409);

    time.advanceMinutes(60);
    expect(await previousGate('production', 'reply-model')).toMatchObject({ ok: true, detail: 'staging has held 25% for 24 h (needs 24 h)' });
    const advanced = await as(ts, 'pm', 'pm-bob', 'POST', envPath('production', 'reply-model', 'advance'), { reason: 'staging held a day' });
    expect(advanced.status, advanced.text).toBe(200);
    expect(advanced.body).toMatchObject({ stage: 2, percent: 25 });
  });
});

describe('requirePrevious counts what staging served before the soak window opened', () => {
  it('keeps counting across a plan edit in staging that keeps 25%: only a kill, a pause or less than 25% restarts the soak', async () => {
    await createFlag(ts, 'summary-model');
    for (const env of ['staging', 'production']) expect((await as(ts, 'pm', 'pm-author', 'PUT', envPath(env, 'summary-model', 'plan'), plan)).status).toBe(200);
    expect((await signAndAdvanceIn('staging', 'summary-model')).status).toBe(200);
    expect((await signAndAdvanceIn('staging', 'summary-model')).status).toBe(200);
    expect((await signAndAdvanceIn('production', 'summary-model')).status).toBe(200);

    // Ten days at 25% in staging, then an edit of its later stages an hour ago: still 25%, still live.
    time.advanceMinutes(10 * 1440);
    const edited = { stages: [{ percent: 5 }, { percent: 25, requirePrevious: { soakMinutes: 1440 } }, { percent: 50 }, { percent: 100 }] };
    expect((await as(ts, 'pm', 'pm-author', 'PUT', envPath('staging', 'summary-model', 'plan'), edited)).status).toBe(200);
    time.advanceMinutes(60);

    const gate = await previousGate('production', 'summary-model');
    expect(gate).toMatchObject({ ok: true, environment: 'staging', detail: 'staging has held 25% for 10 d 1 h (needs 24 h)' });
    expect(gate.observed).toBe(10 * 1440 + 60);
  });
});
