import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { putPlanSchema } from '../../server/rollout/plan-schema.js';
import { actor, createFlag, unitServices, type UnitWorld, refusal } from '../helpers/unit-services.js';

let w: UnitWorld;
beforeEach(async () => {
  w = await unitServices();
});
afterEach(async () => {
  await w.close();
});

const oncall = actor('oncall', 'oncall-user');
const admin = actor('admin', 'admin-ada');
const auditCount = () => w.db.selectFrom('audit').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
const entries = async (flag: string, action: string) => (await w.audit.list({ flag, action }, undefined, 50)).entries;

describe('kill and restore rules', () => {
  it('a kill is audited with its kill id, and a second kill of a killed flag changes nothing', async () => {
    await createFlag(w, 'summary');
    const first = await w.kills.kill(oncall, 'summary', 'cost spike');
    expect(first).toMatchObject({ changed: true, flag: { killed: true, killReason: 'cost spike', killId: expect.any(String) } });
    const again = await w.kills.kill(oncall, 'summary', 'again');
    expect(again).toMatchObject({ changed: false, flag: { killReason: 'cost spike', killId: first.flag.killId } });
    const [entry] = await entries('summary', 'flag.kill');
    expect(entry).toMatchObject({ actor: 'oncall-user', reason: 'cost spike', after: { killId: first.flag.killId } });
    expect(await entries('summary', 'flag.kill')).toHaveLength(1);
  });

  it('a restore clears only the kill: stage, plan and pause stay as they were', async () => {
    await createFlag(w, 'staged');
    await w.plans.put(actor('pm', 'pm-author'), 'staged', putPlanSchema.parse({}));
    await w.plans.signoff(actor('pm', 'pm-bob'), 'staged', { comment: 'ok' });
    await w.rollouts.advance(actor('pm', 'pm-bob'), 'staged');
    await w.rollouts.pause(oncall, 'staged', { reason: 'watching' });
    await w.kills.kill(oncall, 'staged', 'bad');
    const r = await w.kills.restore(oncall, 'staged', 'fixed');
    expect(r.flag).toMatchObject({ killed: false, killId: null, killReason: null, stage: 1, percent: 5, paused: true, planVersion: 1 });
  });

  it('undoing one kill by its id restores the flags it killed and leaves a flag killed earlier for another reason', async () => {
    for (const key of ['summary-v2', 'chat-summary', 'smart-reply']) await createFlag(w, key, { tags: ['ai'] });
    await createFlag(w, 'checkout-v2', { tags: ['payments'] });
    const cost = await w.kills.kill(oncall, 'summary-v2', 'cost spike: $180/h');
    const outage = await w.kills.killMany(oncall, { tag: 'ai' }, 'provider outage');
    expect(outage).toMatchObject({ changed: ['chat-summary', 'smart-reply'], unchanged: ['summary-v2'] });
    expect(outage.killId).not.toBe(cost.flag.killId);
    const undo = await w.kills.restoreKill(oncall, outage.killId!, 'provider recovered');
    expect(undo).toMatchObject({ changed: ['chat-summary', 'smart-reply'], unchanged: [], notThisKill: [] });
    expect(await w.flags.get('summary-v2')).toMatchObject({ killed: true, killId: cost.flag.killId });
    expect((await w.flags.get('checkout-v2')).killed).toBe(false);
  });

  it('a restore by kill id leaves the flags restored since, and those killed again by a later kill, alone', async () => {
    for (const key of ['r-a', 'r-b', 'r-c']) await createFlag(w, key, { tags: ['retrieval'] });
    const first = await w.kills.killMany(oncall, { tag: 'retrieval' }, 'vector store down');
    await w.kills.restore(oncall, 'r-b', 'does not use the store');
    await w.kills.restore(oncall, 'r-c', 'tried it');
    await w.kills.kill(oncall, 'r-c', 'still failing');
    expect(await w.kills.restoreKill(oncall, first.killId!, 'store is back')).toMatchObject({ changed: ['r-a'], unchanged: ['r-b'], notThisKill: ['r-c'] });
    const before = await auditCount();
    expect(await w.kills.restoreKill(oncall, first.killId!, 'store is back')).toMatchObject({ changed: [], unchanged: ['r-a', 'r-b'], notThisKill: ['r-c'] });
    expect(await auditCount()).toEqual(before);
  });

  it('a restore by a kill id no kill ever had is not_found and changes nothing', async () => {
    await createFlag(w, 'lonely', { tags: ['lonely'] });
    await w.kills.killMany(oncall, { tag: 'lonely' }, 'incident');
    const before = await auditCount();
    expect(await refusal(w.kills.restoreKill(oncall, randomUUID(), 'undo'))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await auditCount()).toEqual(before);
    expect((await w.flags.get('lonely')).killed).toBe(true);
  });
});

describe('archive rules', () => {
  it('archiving a killed flag is refused with flag_killed and writes no audit entry', async () => {
    await createFlag(w, 'reply-drafts', { on: 'v2', off: 'v1' });
    await w.kills.kill(oncall, 'reply-drafts', 'bad drafts');
    const before = await auditCount();
    const err = await refusal(w.flags.archive(admin, 'reply-drafts', 'tidy up', undefined));
    expect(err).toMatchObject({ status: 409, code: 'flag_killed' });
    expect(err!.message).toMatch(/restore it or keep it killed/);
    expect(await auditCount()).toEqual(before);
    expect(await w.flags.get('reply-drafts')).toMatchObject({ killed: true, archived: false });
  });

  it('an archived flag is unarchived with a reason, audited as flag.unarchive, and can then be killed', async () => {
    await createFlag(w, 'old-feature');
    await w.flags.archive(admin, 'old-feature', 'unused', undefined);
    expect(await refusal(w.kills.kill(oncall, 'old-feature', 'x'))).toMatchObject({ status: 404 });
    const back = await w.flags.unarchive(admin, 'old-feature', 'still needed', undefined);
    expect(back).toMatchObject({ archived: false });
    expect(await entries('old-feature', 'flag.unarchive')).toMatchObject([{ actor: 'admin-ada', reason: 'still needed' }]);
    expect((await w.kills.kill(oncall, 'old-feature', 'now')).changed).toBe(true);
  });

  it('unarchiving a flag that is not archived is not_archived and changes nothing', async () => {
    await createFlag(w, 'live');
    const before = await auditCount();
    expect(await refusal(w.flags.unarchive(admin, 'live', 'why', undefined))).toMatchObject({ status: 409, code: 'not_archived' });
    expect(await auditCount()).toEqual(before);
  });
});
