import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from './helpers/postgres.js';
import { createFlag, type TestServer } from './helpers/server.js';
import { startReplicas } from './helpers/replicas.js';
import { advance, auditOf, putPlan, signoff } from './rollout-fixtures.js';

// Issue 14, "every rule holds across replicas": the same requests sent to different replicas of
// one PostgreSQL database at the same moment, three real servers in this process.
let pg: TestPostgres;
const servers: TestServer[] = [];

beforeAll(async () => {
  pg = await startPostgres();
}, 120_000);

afterAll(async () => {
  for (const s of servers) await s.close();
  await pg?.stop();
});

async function replicas(): Promise<TestServer[]> {
  const rs = await startReplicas(await pg.createDatabase(), ['a', 'b', 'c']);
  servers.push(...rs);
  return rs;
}

const threeStages = { stages: [{ percent: 5 }, { percent: 25 }, { percent: 100 }] };

describe('the rules of one node hold across three replicas', () => {
  it('of simultaneous advances sent to different replicas exactly one wins, and the flag moved one stage', async () => {
    const [a, b, c] = await replicas();
    await createFlag(a!, 'race-advance');
    expect((await putPlan(a!, 'race-advance', threeStages)).status).toBe(200);
    expect((await signoff(b!, 'race-advance', 'pm-bob')).status).toBe(201);
    const results = await Promise.all([a!, b!, c!].map((ts) => advance(ts, 'race-advance')));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    for (const ts of [a!, b!, c!]) expect((await ts.api('GET', '/api/flags/race-advance', { as: 'viewer' })).body).toMatchObject({ stage: 1, percent: 5 });
    expect(await auditOf(c!, 'race-advance', 'rollout.advance')).toHaveLength(1);
  });

  it('a sign-off made on one replica is voided by a plan edit on another, so a third refuses the advance', async () => {
    const [a, b, c] = await replicas();
    await createFlag(a!, 'race-signoff');
    expect((await putPlan(a!, 'race-signoff', threeStages)).status).toBe(200);
    expect((await signoff(b!, 'race-signoff', 'pm-bob')).status).toBe(201);
    expect((await putPlan(c!, 'race-signoff', { stages: [{ percent: 10 }, { percent: 100 }] })).status).toBe(200);
    const refused = await advance(a!, 'race-signoff');
    expect(refused.status).toBe(409);
    const gates = await a!.api('GET', '/api/flags/race-signoff/gates', { as: 'viewer' });
    expect(gates.body.gates.find((g: { gate: string }) => g.gate === 'signoff')).toMatchObject({ ok: false });
    expect((await a!.api('GET', '/api/flags/race-signoff', { as: 'viewer' })).body).toMatchObject({ stage: 0 });
  });

  it('a stale version gets 409 on whichever replica it arrives, and changes nothing', async () => {
    const [a, b, c] = await replicas();
    await createFlag(a!, 'race-patch');
    const [first, second] = await Promise.all([
      b!.api('PATCH', '/api/flags/race-patch', { as: 'engineer', body: { version: 1, description: 'from b' } }),
      c!.api('PATCH', '/api/flags/race-patch', { as: 'engineer', body: { version: 1, description: 'from c' } }),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 409]);
    const winner = first.status === 200 ? 'from b' : 'from c';
    const late = await a!.api('PATCH', '/api/flags/race-patch', { as: 'engineer', body: { version: 1, description: 'from a' } });
    expect(late.status).toBe(409);
    for (const ts of [a!, b!, c!]) expect((await ts.api('GET', '/api/flags/race-patch', { as: 'viewer' })).body).toMatchObject({ version: 2, description: winner });
  });

  it('a kill racing an advance on another replica is never followed by that advance', async () => {
    const [a, b] = await replicas();
    for (let round = 0; round < 5; round++) {
      const key = `race-kill-${round}`;
      await createFlag(a!, key);
      expect((await putPlan(a!, key, threeStages)).status).toBe(200);
      expect((await signoff(b!, key, 'pm-bob')).status).toBe(201);
      const [kill, adv] = await Promise.all([
        a!.api('POST', `/api/flags/${key}/kill`, { as: 'oncall', body: { reason: 'race' } }),
        advance(b!, key),
      ]);
      expect(kill.status).toBe(200);
      expect([200, 409]).toContain(adv.status);
      const kills = await auditOf(a!, key, 'flag.kill');
      const advances = await auditOf(a!, key, 'rollout.advance');
      expect(kills).toHaveLength(1);
      // Whichever committed first, no advance comes after the kill in the one audit chain.
      for (const e of advances) expect(e.seq).toBeLessThan(kills[0].seq);
      for (const ts of [a!, b!]) expect((await ts.api('GET', `/api/flags/${key}`, { as: 'viewer' })).body).toMatchObject({ killed: true });
    }
  });
});
