import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(() => ts.close());

async function audit(flag: string) {
  return (await ts.api('GET', `/api/audit?flag=${flag}&limit=500`, { as: 'viewer' })).body.entries as any[];
}

describe('flags', () => {
  it('creating a flag returns it at version 1, not started, live, and audits flag.create', async () => {
    const res = await ts.api('POST', '/api/flags', {
      as: 'engineer',
      body: { key: 'support-draft', description: 'AI-drafted replies', owner: 'ai-eng@acme', tags: ['ai'], on: true, off: false },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ key: 'support-draft', version: 1, killed: false, stage: 0, percent: 0, owner: 'ai-eng@acme', tags: ['ai'] });
    const entries = await audit('support-draft');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: 'flag.create', actor: 'engineer-user', role: 'engineer', before: null });
    expect(entries[0].after.key).toBe('support-draft');
    expect(entries[0].requestId).toBe(res.headers.get('x-request-id'));
  });

  it('a flag serving prompt versions keeps its string values', async () => {
    const f = await createFlag(ts, 'prompt-version', { on: 'v1.4', off: 'v1.3' });
    expect(f).toMatchObject({ on: 'v1.4', off: 'v1.3' });
  });

  it('on and off of different types are refused with the field named', async () => {
    const res = await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: 'mixed', owner: 'o', on: 'v2', off: false } });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('off');
  });

  it('a second flag with the same key gets 409 and changes nothing', async () => {
    await createFlag(ts, 'dupe');
    const res = await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: 'dupe', owner: 'someone-else' } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('flag_exists');
    expect((await ts.api('GET', '/api/flags/dupe', { as: 'viewer' })).body.owner).toBe('ai-eng@acme');
  });

  it('a patch with the current version applies and bumps the version; a stale one gets 409 and changes nothing', async () => {
    await createFlag(ts, 'patchme');
    const ok = await ts.api('PATCH', '/api/flags/patchme', { as: 'engineer', body: { version: 1, description: 'first' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ version: 2, description: 'first' });
    const stale = await ts.api('PATCH', '/api/flags/patchme', { as: 'engineer', body: { version: 1, description: 'second' } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'version_conflict', details: { expected: 1, actual: 2 } });
    expect(stale.body.error.message).toContain('changed under you');
    const now = await ts.api('GET', '/api/flags/patchme', { as: 'viewer' });
    expect(now.body).toMatchObject({ version: 2, description: 'first' });
    expect((await audit('patchme')).map((e) => e.action)).toEqual(['flag.update', 'flag.create']);
  });

  it('two editors patching the same version at once: exactly one wins, the other is told the flag changed', async () => {
    await createFlag(ts, 'race');
    const [a, b] = await Promise.all([
      ts.api('PATCH', '/api/flags/race', { as: 'engineer', body: { version: 1, description: 'a' } }),
      ts.api('PATCH', '/api/flags/race', { as: 'admin', body: { version: 1, description: 'b' } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect((await ts.api('GET', '/api/flags/race', { as: 'viewer' })).body.version).toBe(2);
  });

  it('archiving hides the flag from the list, keeps it readable, and refuses further changes', async () => {
    await createFlag(ts, 'old-thing');
    const res = await ts.api('POST', '/api/flags/old-thing/archive', { as: 'engineer', body: { reason: 'shipped to everyone' } });
    expect(res.body).toMatchObject({ archived: true, archivedBy: 'engineer-user' });
    const list = await ts.api('GET', '/api/flags', { as: 'viewer' });
    expect(list.body.flags.map((f: any) => f.key)).not.toContain('old-thing');
    const all = await ts.api('GET', '/api/flags?archived=true', { as: 'viewer' });
    expect(all.body.flags.map((f: any) => f.key)).toContain('old-thing');
    expect((await ts.api('GET', '/api/flags/old-thing', { as: 'viewer' })).body.archived).toBe(true);
    expect((await ts.api('PATCH', '/api/flags/old-thing', { as: 'engineer', body: { version: 2, description: 'x' } })).status).toBe(404);
    const again = await ts.api('POST', '/api/flags', { as: 'engineer', body: { key: 'old-thing', owner: 'o' } });
    expect(again.status).toBe(409);
  });

  it('the list filters by tag and owner', async () => {
    await createFlag(ts, 'tagged-a', { tags: ['checkout'], owner: 'pay@acme' });
    await createFlag(ts, 'tagged-b', { tags: ['checkout', 'ai'] });
    const byTag = await ts.api('GET', '/api/flags?tag=checkout', { as: 'viewer' });
    expect(byTag.body.flags.map((f: any) => f.key).sort()).toEqual(['tagged-a', 'tagged-b']);
    const byOwner = await ts.api('GET', '/api/flags?owner=pay@acme', { as: 'viewer' });
    expect(byOwner.body.flags.map((f: any) => f.key)).toEqual(['tagged-a']);
  });

  it('an unknown flag is a 404 with the error body', async () => {
    const res = await ts.api('GET', '/api/flags/nope', { as: 'viewer' });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'not_found', message: 'flag "nope" does not exist' });
  });
});

describe('kill switch', () => {
  it('a kill reports who, when and why, and a restore keeps everything else as it was', async () => {
    await createFlag(ts, 'risky', { description: 'keep me', tags: ['ai'] });
    const killed = await ts.api('POST', '/api/flags/risky/kill', { as: 'oncall', body: { reason: 'cost spike' } });
    expect(killed.status).toBe(200);
    expect(killed.body).toMatchObject({ key: 'risky', killed: true, killedBy: 'oncall-user', killReason: 'cost spike', changed: true });
    expect(Date.parse(killed.body.killedAt)).not.toBeNaN();
    const restored = await ts.api('POST', '/api/flags/risky/restore', { as: 'oncall', body: { reason: 'provider fixed' } });
    expect(restored.body).toMatchObject({ killed: false, killedBy: null, killReason: null, description: 'keep me', tags: ['ai'], stage: 0 });
    const entries = await audit('risky');
    expect(entries.map((e) => e.action)).toEqual(['flag.restore', 'flag.kill', 'flag.create']);
    expect(entries[1]).toMatchObject({ reason: 'cost spike', actor: 'oncall-user', role: 'oncall' });
    expect(entries[1].before.killed).toBe(false);
    expect(entries[1].after.killed).toBe(true);
  });

  it('killing a killed flag changes nothing and is not an error', async () => {
    await createFlag(ts, 'twice');
    await ts.api('POST', '/api/flags/twice/kill', { as: 'oncall', body: { reason: 'first' } });
    const again = await ts.api('POST', '/api/flags/twice/kill', { as: 'oncall', body: { reason: 'second' } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ killed: true, killReason: 'first', changed: false });
    expect((await audit('twice')).filter((e) => e.action === 'flag.kill')).toHaveLength(1);
  });

  it('a kill without a reason is refused and the flag stays live', async () => {
    await createFlag(ts, 'noreason');
    const res = await ts.api('POST', '/api/flags/noreason/kill', { as: 'oncall', body: {} });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('reason');
    expect((await ts.api('GET', '/api/flags/noreason', { as: 'viewer' })).body.killed).toBe(false);
  });

  it('a kill by tag kills every live flag with the tag in one go, each audited', async () => {
    await createFlag(ts, 'llm-a', { tags: ['llm'] });
    await createFlag(ts, 'llm-b', { tags: ['llm', 'search'] });
    await createFlag(ts, 'not-llm', { tags: ['search'] });
    await ts.api('POST', '/api/flags/llm-b/kill', { as: 'oncall', body: { reason: 'earlier' } });
    const res = await ts.api('POST', '/api/kill', { as: 'oncall', body: { tag: 'llm', reason: 'provider outage' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ killId: expect.any(String), killed: ['llm-a'], alreadyKilled: ['llm-b'] });
    expect((await ts.api('GET', '/api/flags/not-llm', { as: 'viewer' })).body.killed).toBe(false);
    const [kill] = await audit('llm-a');
    expect(kill).toMatchObject({ action: 'flag.kill', reason: 'provider outage' });
    const back = await ts.api('POST', '/api/restore', { as: 'oncall', body: { tag: 'llm', reason: 'provider back' } });
    expect(back.body.restored.sort()).toEqual(['llm-a', 'llm-b']);
  });

  it('a kill of everything kills every live flag', async () => {
    const res = await ts.api('POST', '/api/kill', { as: 'oncall', body: { all: true, reason: 'all hands' } });
    expect(res.status).toBe(200);
    const list = await ts.api('GET', '/api/flags', { as: 'viewer' });
    expect(list.body.flags.every((f: any) => f.killed)).toBe(true);
    expect(res.body.killed.length + res.body.alreadyKilled.length).toBe(list.body.flags.length);
    await ts.api('POST', '/api/restore', { as: 'oncall', body: { all: true, reason: 'over' } });
  });

  it('a bulk kill needs exactly one of tag or all', async () => {
    for (const body of [{ reason: 'r' }, { tag: 'ai', all: true, reason: 'r' }, { all: false, reason: 'r' }]) {
      const res = await ts.api('POST', '/api/kill', { as: 'oncall', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('health', () => {
  it('healthz and readyz answer without a token', async () => {
    expect((await ts.api('GET', '/healthz')).body).toEqual({ ok: true });
    expect((await ts.api('GET', '/readyz')).body).toEqual({ ok: true });
  });
});
