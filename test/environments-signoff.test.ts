import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

// Rules per environment (issue 23): an unprotected environment set to requireSignoff: false lets
// an engineer or admin advance without a PM sign-off (audited with the rule); a protected one
// keeps every rule; kill, pause, rollback and restore are never gated anywhere.

let ts: TestServer;
const plan = { stages: [{ percent: 5 }, { percent: 25 }, { percent: 100 }], reason: 'roll out' };

beforeAll(async () => {
  ts = await startTestServer();
  for (const body of [
    { key: 'development', name: 'Development', requireSignoff: false },
    { key: 'preprod', name: 'Pre-production', protected: true, requireSignoff: false },
  ]) {
    const r = await ts.api('POST', '/api/environments', { as: 'admin', body });
    if (r.status !== 201) throw new Error(`environment: ${r.status} ${r.text}`);
  }
  await createFlag(ts, 'smart-reply');
  for (const env of ['development', 'preprod', 'production']) {
    const r = await ts.api('PUT', `/api/envs/${env}/flags/smart-reply/plan`, { as: 'pm', body: plan });
    if (r.status !== 200) throw new Error(`plan: ${r.status} ${r.text}`);
  }
});
afterAll(() => ts.close());

const advance = (env: string, as: 'engineer' | 'pm' | 'admin' | 'oncall') => ts.api('POST', `/api/envs/${env}/flags/smart-reply/advance`, { as, body: { reason: 'next' } });

describe('requireSignoff per environment', () => {
  it('in an unprotected environment set to requireSignoff: false an engineer advances without a sign-off, and the audit names the rule', async () => {
    const gates = await ts.api('GET', '/api/envs/development/flags/smart-reply/gates', { as: 'viewer' });
    expect(gates.body.ready).toBe(true);
    expect(gates.body.gates.find((g: { gate: string }) => g.gate === 'signoff')).toMatchObject({ ok: true, detail: expect.stringContaining('requireSignoff: false') });
    const r = await advance('development', 'engineer');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ stage: 1, percent: 5, changed: true });
    const [entry] = (await ts.api('GET', '/api/audit?flag=smart-reply&action=rollout.advance', { as: 'admin' })).body.entries;
    expect(entry).toMatchObject({ actor: 'engineer-user', environment: 'development', after: { stage: 1, signoffWaived: { environment: 'development', rule: 'requireSignoff: false on an unprotected environment' } } });
  });

  it('a protected environment keeps every rule even with requireSignoff: false, and production too: engineers get 403, PMs need the sign-off', async () => {
    for (const env of ['preprod', 'production']) {
      const byEngineer = await advance(env, 'engineer');
      expect(byEngineer.status).toBe(403);
      expect(byEngineer.body.error.message).toContain(`"${env}" is not`);
      const byPm = await advance(env, 'pm');
      expect(byPm.status).toBe(409);
      expect(byPm.body.error.code).toBe('gates_not_met');
      expect(byPm.body.error.message).toContain('sign-off');
    }
    const states = (await ts.api('GET', '/api/flags/smart-reply', { as: 'viewer' })).body.environments;
    expect(states).toMatchObject({ development: { stage: 1 }, preprod: { stage: 0 }, production: { stage: 0 } });
  });

  it('on-call kills, pauses and rolls back in every environment, never gated', async () => {
    expect((await ts.api('POST', '/api/envs/development/flags/smart-reply/pause', { as: 'oncall', body: { reason: 'look' } })).status).toBe(200);
    expect((await ts.api('POST', '/api/envs/development/flags/smart-reply/rollback', { as: 'oncall', body: { reason: 'back' } })).status).toBe(200);
    for (const env of ['development', 'preprod', 'production']) {
      expect((await ts.api('POST', `/api/envs/${env}/flags/smart-reply/kill`, { as: 'oncall', body: { reason: 'stop' } })).status).toBe(200);
      expect((await ts.api('POST', `/api/envs/${env}/flags/smart-reply/restore`, { as: 'oncall', body: { reason: 'go' } })).status).toBe(200);
    }
    expect((await advance('development', 'oncall')).status).toBe(403);
  });
});
