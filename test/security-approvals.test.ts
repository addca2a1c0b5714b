import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbState } from './helpers/reliability-state.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { advance, as, auditOf, manualClock, putPlan, report, signAndAdvance, signoff } from './rollout-fixtures.js';

const time = manualClock('2026-07-01T09:00:00.000Z');
let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer({ clock: time.clock });
});
afterAll(() => ts.close());

const flag = async (key: string) => (await ts.api('GET', `/api/flags/${key}`, { as: 'viewer' })).body;
const tick = () => ts.running.services.scheduler.tick();
const gates = async (key: string) => (await ts.api('GET', `/api/flags/${key}/gates`, { as: 'viewer' })).body;

describe('sign-offs cannot be bypassed', () => {
  it('a PM cannot launder a self-approval by signing someone else\'s plan and then editing it', async () => {
    await createFlag(ts, 'launder');
    await putPlan(ts, 'launder', {}, 'pm-alice');
    expect((await signoff(ts, 'launder', 'pm-bob')).status).toBe(201);
    // Bob now edits the plan (a cohort change): he is its author, his sign-off is void, and his new one is not enough.
    const edit = await putPlan(ts, 'launder', { cohort: [{ attr: 'plan', op: 'in', values: ['pro'] }] }, 'pm-bob');
    expect(edit.status, edit.text).toBe(200);
    expect(edit.body.plan).toMatchObject({ version: 2, author: 'pm-bob' });
    expect((await gates('launder')).gates[0]).toMatchObject({ gate: 'signoff', ok: false, signers: [] });
    expect((await signoff(ts, 'launder', 'pm-bob')).status).toBe(201);
    const r = await advance(ts, 'launder', {}, 'pm-bob');
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('gates_not_met');
    expect((await flag('launder')).stage).toBe(0);
  });

  it('a stage needing two sign-offs needs two different PMs: the same PM twice is refused, the author and one other is enough', async () => {
    await createFlag(ts, 'two-keys');
    await putPlan(ts, 'two-keys', { stages: [{ percent: 10, signoffs: 2 }, { percent: 100 }] }, 'pm-alice');
    expect((await signoff(ts, 'two-keys', 'pm-bob')).status).toBe(201);
    const again = await signoff(ts, 'two-keys', 'pm-bob');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_signed');
    expect((await advance(ts, 'two-keys', {}, 'pm-bob')).status).toBe(409);
    expect((await signoff(ts, 'two-keys', 'pm-alice')).status).toBe(201);
    expect((await advance(ts, 'two-keys', {}, 'pm-bob')).status).toBe(200);
  });

  it('a sign-off racing a plan edit never counts for the edited plan: an advance only ever follows a sign-off of the plan version it advanced', async () => {
    await createFlag(ts, 'race-edit');
    await putPlan(ts, 'race-edit', {}, 'pm-alice');
    for (let i = 0; i < 12; i++) {
      const [s, p] = await Promise.all([
        signoff(ts, 'race-edit', 'pm-bob'),
        putPlan(ts, 'race-edit', { cohort: [{ attr: 'n', op: 'eq', values: [i] }] }, 'pm-alice'),
      ]);
      expect(p.status, p.text).toBe(200);
      expect([201, 409]).toContain(s.status);
      const a = await advance(ts, 'race-edit', {}, 'pm-carol');
      const f = await flag('race-edit');
      if (a.status === 200) {
        // The sign-off landed after the edit, on the new plan version.
        expect(a.body.gates[0]).toMatchObject({ gate: 'signoff', ok: true, planVersion: f.planVersion, signers: ['pm-bob'] });
        await as(ts, 'pm', 'pm-carol', 'POST', '/api/flags/race-edit/rollback', { reason: 'again', toStage: 0 });
      } else {
        expect(a.body.error.code).toBe('gates_not_met');
      }
    }
    const signoffs = await auditOf(ts, 'race-edit', 'rollout.signoff');
    const edits = await auditOf(ts, 'race-edit', 'plan.update');
    for (const adv of await auditOf(ts, 'race-edit', 'rollout.advance')) {
      const planVersion = adv.before.planVersion;
      const lastEdit = Math.max(...edits.filter((e) => e.seq < adv.seq).map((e) => e.seq));
      const signed = signoffs.filter((s) => s.seq > lastEdit && s.seq < adv.seq && s.after.planVersion === planVersion);
      expect(signed.length, `advance ${adv.seq}`).toBeGreaterThan(0);
    }
  });
});

describe('stage, status and approvals can only change through the gated actions', () => {
  const DIRECT: Array<[string, string, string, unknown]> = [
    ['PATCH stage', 'PATCH', '/api/flags/{f}', { version: '{v}', stage: 3 }],
    ['PATCH killed', 'PATCH', '/api/flags/{f}', { version: '{v}', description: 'x', killed: false }],
    ['PATCH paused', 'PATCH', '/api/flags/{f}', { version: '{v}', description: 'x', paused: false }],
    ['PATCH planVersion and planAuthor', 'PATCH', '/api/flags/{f}', { version: '{v}', description: 'x', planVersion: 9, planAuthor: 'someone' }],
    ['PATCH plan', 'PATCH', '/api/flags/{f}', { version: '{v}', plan: { stages: [{ percent: 100 }] } }],
    ['PATCH archived', 'PATCH', '/api/flags/{f}', { version: '{v}', description: 'x', archived: false }],
    ['PATCH via __proto__', 'PATCH', '/api/flags/{f}', '{"version":{v},"description":"x","__proto__":{"stage":3,"killed":false}}'],
    ['PATCH via constructor.prototype', 'PATCH', '/api/flags/{f}', '{"version":{v},"description":"x","constructor":{"prototype":{"stage":3}}}'],
    ['create with stage and killed', 'POST', '/api/flags', { key: 'born-advanced', owner: 'o', stage: 3, killed: false }],
    ['plan with stage', 'PUT', '/api/flags/{f}/plan', { stages: [{ percent: 50 }, { percent: 100 }], stage: 2 }],
    ['plan with killed', 'PUT', '/api/flags/{f}/plan', { stages: [{ percent: 50 }, { percent: 100 }], killed: false }],
    ['plan with planAuthor', 'PUT', '/api/flags/{f}/plan', { stages: [{ percent: 50 }, { percent: 100 }], planAuthor: 'pm-bob' }],
    ['plan stage pre-approved', 'PUT', '/api/flags/{f}/plan', { stages: [{ percent: 50, approved: true, signedOffBy: ['pm-bob'] }, { percent: 100 }] }],
    ['plan stage with no sign-off', 'PUT', '/api/flags/{f}/plan', { stages: [{ percent: 50, signoffs: 0 }, { percent: 100 }] }],
    ['sign-off on behalf of another PM', 'POST', '/api/flags/{f}/signoffs', { comment: 'ok', actor: 'pm-bob' }],
    ['sign-off with a role', 'POST', '/api/flags/{f}/signoffs', { comment: 'ok', role: 'pm', sub: 'pm-bob' }],
    ['advance with stage', 'POST', '/api/flags/{f}/advance', { reason: 'r', stage: 2 }],
    ['advance with force', 'POST', '/api/flags/{f}/advance', { reason: 'r', force: true }],
    ['advance with skipGates', 'POST', '/api/flags/{f}/advance', { reason: 'r', skipGates: true, gates: [] }],
    ['resume with stage', 'POST', '/api/flags/{f}/resume', { reason: 'r', stage: 2 }],
    ['restore with stage', 'POST', '/api/flags/{f}/restore', { reason: 'r', stage: 2 }],
    ['kill with killed false', 'POST', '/api/flags/{f}/kill', { reason: 'r', killed: false }],
    ['metric with stage', 'POST', '/api/metrics', { flag: '{f}', metric: 'error_rate', value: 0, stage: 2 }],
  ];
  let n = 0;

  it.each(DIRECT)('%s is refused with 400 and changes nothing', async (_what, method, path, body) => {
    const f = `direct-${++n}`;
    await createFlag(ts, f);
    await putPlan(ts, f, { stages: [{ percent: 50 }, { percent: 100 }] });
    const v = (await flag(f)).version;
    const text = (typeof body === 'string' ? body : JSON.stringify(body)).replaceAll('{f}', f).replaceAll('"{v}"', String(v)).replaceAll('{v}', String(v));
    const role = method === 'PUT' || path.includes('signoffs') || path.includes('advance') || path.includes('resume') ? 'pm' : path.includes('metrics') ? 'metrics' : 'admin';
    const before = await dbState(ts);
    const res = await ts.api(method, path.replaceAll('{f}', f), { as: role, body: text });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe('invalid_body');
    expect(await dbState(ts)).toBe(before);
    expect(await flag(f)).toMatchObject({ stage: 0, killed: false, planVersion: 1 });
  });

  it('an advance cannot skip a stage, even with every sign-off in place', async () => {
    await createFlag(ts, 'no-skip');
    await putPlan(ts, 'no-skip', {}, 'pm-alice');
    await signoff(ts, 'no-skip', 'pm-bob');
    const r = await advance(ts, 'no-skip', { toStage: 3 }, 'pm-bob');
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('stage_conflict');
    expect((await flag('no-skip')).stage).toBe(0);
  });
});

describe('auto-advance judges every gate again when it runs', () => {
  const PLAN = { stages: [{ percent: 5, autoAdvance: true, checks: [{ metric: 'error_rate', op: '<=', threshold: 0.01 }] }, { percent: 25, autoAdvance: true, soakMinutes: 60 }, { percent: 100 }] };

  async function readyToAdvance(key: string): Promise<void> {
    await createFlag(ts, key);
    expect((await putPlan(ts, key, PLAN, 'pm-alice')).status).toBe(200);
    expect((await report(ts, [{ flag: key, metric: 'error_rate', count: 50, mean: 0.001, stddev: 0.001 }])).status).toBe(201);
    expect((await signoff(ts, key, 'pm-bob')).status).toBe(201);
    expect((await gates(key)).ready).toBe(true);
  }

  it('advances when every gate holds (the control case)', async () => {
    await readyToAdvance('auto-ok');
    expect((await tick()).advanced).toContain('auto-ok');
    expect(await flag('auto-ok')).toMatchObject({ stage: 1, updatedBy: 'system:scheduler' });
  });

  it('does not advance when a metric went bad after the sign-off', async () => {
    await readyToAdvance('auto-metric');
    expect((await report(ts, [{ flag: 'auto-metric', metric: 'error_rate', count: 500, mean: 0.5, stddev: 0.01 }])).status).toBe(201);
    const t = await tick();
    expect(t.advanced).not.toContain('auto-metric');
    expect(t.blocked.find((b) => b.flag === 'auto-metric')?.gates).toContainEqual(expect.objectContaining({ gate: 'metric', metric: 'error_rate', ok: false }));
    expect((await flag('auto-metric')).stage).toBe(0);
  });

  it('does not advance when the plan was edited after the sign-off', async () => {
    await readyToAdvance('auto-edit');
    expect((await putPlan(ts, 'auto-edit', { ...PLAN, cohort: [{ attr: 'plan', op: 'eq', values: ['pro'] }] }, 'pm-alice')).status).toBe(200);
    const t = await tick();
    expect(t.advanced).not.toContain('auto-edit');
    expect(t.blocked.find((b) => b.flag === 'auto-edit')?.gates[0]).toMatchObject({ gate: 'signoff', ok: false });
  });

  it('does not advance a flag killed after the sign-off', async () => {
    await readyToAdvance('auto-killed');
    await ts.api('POST', '/api/flags/auto-killed/kill', { as: 'oncall', body: { reason: 'incident' } });
    const t = await tick();
    expect(t.advanced).not.toContain('auto-killed');
    expect(t.blocked.find((b) => b.flag === 'auto-killed')?.gates[0]).toMatchObject({ gate: 'state', ok: false });
    expect(await flag('auto-killed')).toMatchObject({ stage: 0, killed: true });
  });

  it('does not advance before the soak time is over, then does', async () => {
    await readyToAdvance('auto-soak');
    expect((await tick()).advanced).toContain('auto-soak');
    await signoff(ts, 'auto-soak', 'pm-bob');
    time.advanceMinutes(59);
    expect((await tick()).advanced).not.toContain('auto-soak');
    expect((await flag('auto-soak')).stage).toBe(1);
    time.advanceMinutes(1);
    expect((await tick()).advanced).toContain('auto-soak');
    expect((await flag('auto-soak')).stage).toBe(2);
  });

  it('a kill racing a tick leaves either "advanced, then killed" or "killed, not advanced", never an advance after the kill', async () => {
    for (let i = 0; i < 6; i++) {
      const key = `auto-race-${i}`;
      await readyToAdvance(key);
      await Promise.all([tick(), ts.api('POST', `/api/flags/${key}/kill`, { as: 'oncall', body: { reason: 'race' } })]);
      const kills = await auditOf(ts, key, 'flag.kill');
      const advances = await auditOf(ts, key, 'rollout.advance');
      expect(kills).toHaveLength(1);
      for (const a of advances) expect(a.seq).toBeLessThan(kills[0].seq);
      expect((await flag(key)).killed).toBe(true);
    }
  });

  it('manual advances see the same gates: signAndAdvance still works where they hold', async () => {
    await createFlag(ts, 'manual-control');
    await putPlan(ts, 'manual-control', {}, 'pm-alice');
    expect((await signAndAdvance(ts, 'manual-control')).status).toBe(200);
  });
});
