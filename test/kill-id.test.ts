import { randomUUID } from 'node:crypto';
import { Migrator } from 'kysely';
import { migrations } from '../migrations/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkKillResult, BulkRestoreResult, FlagView } from '@switchyard-flags/sdk/api';
import { dbState } from './helpers/reliability-state.js';
import { createFlag, startTestServer, type TestServer } from './helpers/server.js';
import { auditOf, manualClock, putPlan, report, signAndAdvance } from './rollout-fixtures.js';

const time = manualClock('2026-06-01T09:00:00.000Z');
let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer({ clock: time.clock });
});
afterAll(() => ts.close());

const flag = async (key: string) => (await ts.api<FlagView>('GET', `/api/flags/${key}`, { as: 'viewer' })).body;
const kill = (key: string, reason: string) => ts.api<FlagView & { changed: boolean }>('POST', `/api/flags/${key}/kill`, { as: 'oncall', body: { reason } });
const killTag = (tag: string, reason: string) => ts.api<BulkKillResult>('POST', '/api/kill', { as: 'oncall', body: { tag, reason } });
const restore = (body: Record<string, unknown>) => ts.api<BulkRestoreResult>('POST', '/api/restore', { as: 'oncall', body });

describe('kill ids', () => {
  it('undoing the outage kill restores every flag it killed and leaves the flag killed the day before for cost alone', async () => {
    for (const key of ['summary-v2', 'chat-summary', 'smart-reply']) await createFlag(ts, key, { tags: ['ai'] });
    await createFlag(ts, 'checkout-v2', { tags: ['payments'] });
    const cost = await kill('summary-v2', 'cost spike: $180/h');
    expect(cost.body.killId).toEqual(expect.any(String));

    const outage = await killTag('ai', 'provider outage, INC-125');
    expect(outage.status).toBe(200);
    expect(outage.body).toEqual({ killId: expect.any(String), killed: ['chat-summary', 'smart-reply'], alreadyKilled: ['summary-v2'] });
    expect(outage.body.killId).not.toBe(cost.body.killId);
    expect((await flag('chat-summary')).killId).toBe(outage.body.killId);
    // Already killed: it keeps its own kill, its reason and its id.
    expect(await flag('summary-v2')).toMatchObject({ killed: true, killReason: 'cost spike: $180/h', killId: cost.body.killId });

    const undo = await restore({ killId: outage.body.killId, reason: 'provider recovered' });
    expect(undo.status).toBe(200);
    expect(undo.body).toEqual({ restored: ['chat-summary', 'smart-reply'], alreadyLive: [], notThisKill: [] });
    expect(await flag('smart-reply')).toMatchObject({ killed: false, killId: null, killReason: null });
    expect(await flag('summary-v2')).toMatchObject({ killed: true, killedBy: 'oncall-user', killReason: 'cost spike: $180/h', killId: cost.body.killId });
    expect((await flag('checkout-v2')).killed).toBe(false);

    // The audit entries carry the id: the kill's after, the restore's before.
    const [restoreEntry] = await auditOf(ts, 'chat-summary', 'flag.restore');
    expect(restoreEntry).toMatchObject({ reason: 'provider recovered', before: { killId: outage.body.killId }, after: { killId: null } });
    const [killEntry] = await auditOf(ts, 'chat-summary', 'flag.kill');
    expect(killEntry.after.killId).toBe(outage.body.killId);
  });

  it('a restore by kill id lists the flags of that kill restored since, and those killed again by a later kill, and leaves both alone', async () => {
    for (const key of ['r-a', 'r-b', 'r-c']) await createFlag(ts, key, { tags: ['retrieval'] });
    const first = await killTag('retrieval', 'vector store down');
    expect(first.body.killed).toEqual(['r-a', 'r-b', 'r-c']);
    await ts.api('POST', '/api/flags/r-b/restore', { as: 'oncall', body: { reason: 'r-b does not use the store' } });
    await ts.api('POST', '/api/flags/r-c/restore', { as: 'oncall', body: { reason: 'tried it' } });
    const later = await kill('r-c', 'still failing');
    expect(later.body.killId).not.toBe(first.body.killId);

    const undo = await restore({ killId: first.body.killId, reason: 'store is back' });
    expect(undo.body).toEqual({ restored: ['r-a'], alreadyLive: ['r-b'], notThisKill: ['r-c'] });
    expect(await flag('r-c')).toMatchObject({ killed: true, killReason: 'still failing', killId: later.body.killId });

    // Re-running the same undo changes nothing and is not an error.
    const before = await dbState(ts);
    const again = await restore({ killId: first.body.killId, reason: 'store is back' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ restored: [], alreadyLive: ['r-a', 'r-b'], notThisKill: ['r-c'] });
    expect(await dbState(ts)).toBe(before);
  });

  it('kills made before the kill_members table existed are read back from the audit trail by its migration', async () => {
    for (const key of ['m-a', 'm-b']) await createFlag(ts, key, { tags: ['migrated'] });
    const old = await killTag('migrated', 'before the upgrade');
    await ts.api('POST', '/api/flags/m-b/restore', { as: 'oncall', body: { reason: 'fine' } });
    // Undo 0006 and run it again: the table is rebuilt from the kill entries in the audit trail.
    const migrator = new Migrator({ db: ts.running.storage.db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo('0005_reach')).error).toBeUndefined();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const undo = await restore({ killId: old.body.killId, reason: 'upgrade done' });
    expect(undo.body).toEqual({ restored: ['m-a'], alreadyLive: ['m-b'], notThisKill: [] });
  });

  it('a restore by a kill id no kill ever had is a 404 and changes nothing', async () => {
    await createFlag(ts, 'unknown-id', { tags: ['lonely'] });
    await killTag('lonely', 'incident');
    const before = await dbState(ts);
    const res = await restore({ killId: randomUUID(), reason: 'undo' });
    expect(res.status).toBe(404);
    expect((res.body as any).error.code).toBe('not_found');
    expect(await dbState(ts)).toBe(before);
  });

  it('a restore takes exactly one of tag, all or killId, and a kill id must be a UUID', async () => {
    const outage = await killTag('lonely', 'again');
    const killId = outage.body.killId ?? randomUUID();
    const before = await dbState(ts);
    for (const body of [
      { tag: 'lonely', killId, reason: 'r' },
      { all: true, killId, reason: 'r' },
      { killId: 'not-a-uuid', reason: 'r' },
      { killId: '', reason: 'r' },
      { killId, reason: '' },
    ]) {
      const res = await restore(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((res.body as any).error.code).toBe('invalid_body');
    }
    // A kill takes no kill id: each kill makes its own.
    expect((await ts.api('POST', '/api/kill', { as: 'oncall', body: { tag: 'lonely', killId, reason: 'r' } })).status).toBe(400);
    expect(await dbState(ts)).toBe(before);
  });

  it('a single kill answers its kill id, a second kill keeps it, and a restore clears it', async () => {
    await createFlag(ts, 'solo');
    const first = await kill('solo', 'cost spike');
    expect(first.body).toMatchObject({ killed: true, changed: true, killId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const second = await kill('solo', 'another reason');
    expect(second.body).toMatchObject({ changed: false, killId: first.body.killId, killReason: 'cost spike' });
    const restored = await ts.api<FlagView>('POST', '/api/flags/solo/restore', { as: 'oncall', body: { reason: 'fixed' } });
    expect(restored.body).toMatchObject({ killed: false, killId: null });

    // A single flag's kill can be undone by its id too.
    const third = await kill('solo', 'again');
    const undo = await restore({ killId: third.body.killId, reason: 'fixed again' });
    expect(undo.body).toEqual({ restored: ['solo'], alreadyLive: [], notThisKill: [] });
  });

  it('a guardrail kill has a kill id, and restoring by it brings the flag back at its stage', async () => {
    await createFlag(ts, 'guarded-kill');
    await putPlan(ts, 'guarded-kill', {
      stages: [{ percent: 5, checks: [{ metric: 'error_rate', op: '<', threshold: 0.01, guardrail: true, onBreach: 'kill' }] }, { percent: 100 }],
    });
    await report(ts, [{ flag: 'guarded-kill', metric: 'error_rate', count: 30, mean: 0, stddev: 0 }]);
    time.advanceMinutes(1);
    await signAndAdvance(ts, 'guarded-kill');
    const trip = await report(ts, [{ flag: 'guarded-kill', metric: 'error_rate', count: 50, mean: 0.2, stddev: 0.05 }]);
    expect(trip.body.tripped).toMatchObject([{ effect: 'kill', killId: expect.any(String) }]);
    const killId = trip.body.tripped[0].killId as string;
    expect(await flag('guarded-kill')).toMatchObject({ killed: true, killedBy: 'system:guardrail', killId });

    const undo = await restore({ killId, reason: 'false alarm' });
    expect(undo.body).toEqual({ restored: ['guarded-kill'], alreadyLive: [], notThisKill: [] });
    expect(await flag('guarded-kill')).toMatchObject({ killed: false, killId: null, stage: 1 });
  });
});
