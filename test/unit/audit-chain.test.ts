import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryHash } from '../../server/audit/audit-hash.js';
import { auditTriggerOff } from '../helpers/test-db.js';
import { actor, createFlag, unitServices, type UnitWorld } from '../helpers/unit-services.js';

let w: UnitWorld;
beforeEach(async () => {
  w = await unitServices();
});
afterEach(async () => {
  await w.close();
});

const oncall = actor('oncall', 'oncall-user');

describe('the audit chain', () => {
  it('every change writes one entry linked to the one before it, and verify recomputes the chain', async () => {
    await createFlag(w, 'a');
    await w.kills.kill(oncall, 'a', 'incident');
    await w.kills.restore(oncall, 'a', 'fixed');
    const { entries } = await w.audit.list({}, undefined, 50);
    expect(entries.map((e) => e.action)).toEqual(['flag.restore', 'flag.kill', 'flag.create']);
    expect(entries[0]!.prevHash).toBe(entries[1]!.hash);
    expect(await w.audit.verify()).toMatchObject({ ok: true, count: 3, head: entries[0]!.hash });
    expect(await w.audit.verify(entries[1]!.hash)).toMatchObject({ ok: true });
  });

  it('the database itself refuses UPDATE and DELETE of audit rows', async () => {
    await createFlag(w, 'a');
    const before = await w.db.selectFrom('audit').selectAll().execute();
    await expect(w.db.updateTable('audit').set({ reason: 'x' }).where('seq', '=', 1).execute()).rejects.toThrow(/audit trail is append-only/);
    await expect(w.db.deleteFrom('audit').where('seq', '=', 1).execute()).rejects.toThrow(/audit trail is append-only/);
    expect(await w.db.selectFrom('audit').selectAll().execute()).toEqual(before);
  });

  it('an entry edited in place is named by verify as altered', async () => {
    await createFlag(w, 'a');
    await w.kills.kill(oncall, 'a', 'real reason');
    await w.kills.restore(oncall, 'a', 'ok');
    await auditTriggerOff(w.db, 'update');
    await w.db.updateTable('audit').set({ reason: 'routine maintenance' }).where('seq', '=', 2).execute();
    const v = await w.audit.verify();
    expect(v).toMatchObject({ ok: false, firstBad: 2, count: 1 });
    expect((v as { problem?: string }).problem).toContain('altered');
  });

  it('an entry removed from the middle is caught at the gap', async () => {
    for (const key of ['a', 'b', 'c']) await createFlag(w, key);
    await auditTriggerOff(w.db, 'delete');
    await w.db.deleteFrom('audit').where('seq', '=', 2).execute();
    const v = await w.audit.verify();
    expect(v).toMatchObject({ ok: false, firstBad: 3 });
    expect((v as { problem?: string }).problem).toContain('missing');
  });

  it('a rewritten entry with a recomputed hash still breaks the link to the next one', async () => {
    await createFlag(w, 'a');
    await createFlag(w, 'b');
    await auditTriggerOff(w.db, 'update');
    const row = await w.db.selectFrom('audit').selectAll().where('seq', '=', 1).executeTakeFirstOrThrow();
    const forged = { ...row, actor: 'someone-else' };
    await w.db.updateTable('audit').set({ actor: forged.actor, hash: entryHash(row.prev_hash, forged) }).where('seq', '=', 1).execute();
    const v = await w.audit.verify();
    expect(v).toMatchObject({ ok: false, firstBad: 2 });
    expect((v as { problem?: string }).problem).toContain('does not link');
  });

  it('a known head that is no longer in the chain is reported: entries were cut from its end', async () => {
    await createFlag(w, 'a');
    const v = await w.audit.verify('f'.repeat(64));
    expect(v).toMatchObject({ ok: false, firstBad: null });
    expect((v as { problem?: string }).problem).toContain('is not in the chain');
  });

  it('a refused change writes no entry and announces nothing', async () => {
    await createFlag(w, 'a');
    const before = w.events.length;
    await expect(w.flags.archive(actor('admin'), 'a', 'x', 99)).rejects.toMatchObject({ code: 'version_conflict' });
    expect((await w.audit.list({}, undefined, 50)).entries).toHaveLength(1);
    expect(w.events.length).toBe(before);
  });
});

describe('the write gate, seen from the services', () => {
  it('a kill queued behind a metric batch goes first, and the batch still lands', async () => {
    await createFlag(w, 'busy');
    let release!: () => void;
    let holding!: () => void;
    const running = new Promise<void>((r) => (holding = r));
    const held = w.storage.write(false, () => new Promise<void>((r) => ((release = r), holding())));
    await running;
    const done: string[] = [];
    const batch = w.samples
      .ingest(actor('metrics', 'bot'), [{ flag: 'busy', metric: 'error_rate', value: 0.1, cohort: 'treatment' }], true)
      .then(() => done.push('batch'));
    const kill = w.kills.kill(oncall, 'busy', 'incident').then(() => done.push('kill'));
    // Both are queued behind the held write before it lets go.
    while (w.storage.gate.waiting.urgent + w.storage.gate.waiting.normal < 2) await new Promise((r) => setImmediate(r));
    release();
    await Promise.all([held, batch, kill]);
    expect(done).toEqual(['kill', 'batch']);
    expect((await w.flags.get('busy')).killed).toBe(true);
    expect(await w.db.selectFrom('metric_samples').select((eb) => eb.fn.countAll<number>().as('n')).where('flag', '=', 'busy').executeTakeFirst()).toEqual({ n: 1 });
  });

  it('announcements are published only after the change committed, flag changes first', async () => {
    await createFlag(w, 'order');
    w.events.length = 0;
    await w.kills.kill(oncall, 'order', 'incident');
    expect(w.events.map((e) => e.type)).toEqual(['flag', 'audit']);
    expect(w.events[0]).toMatchObject({ type: 'flag', key: 'order', action: 'flag.kill' });
  });
});
