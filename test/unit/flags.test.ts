import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFlagSchema, patchFlagSchema } from '../../server/flags/flag-schemas.js';
import { actor, unitServices, type UnitWorld, refusal } from '../helpers/unit-services.js';

let w: UnitWorld;
beforeEach(async () => {
  w = await unitServices({ start: '2026-06-01T09:00:00.000Z' });
});
afterEach(async () => {
  await w.close();
});

const eng = actor('engineer', 'eng-erin');
const create = (body: Record<string, unknown>) => w.flags.create(eng, createFlagSchema.parse({ owner: 'ai-eng@acme', ...body }));
const patch = (key: string, body: Record<string, unknown>) => w.flags.update(eng, key, patchFlagSchema.parse(body));
const auditActions = async (flag: string) => (await w.audit.list({ flag }, undefined, 50)).entries.map((e) => e.action);

describe('flag rules, checked through the flag service', () => {
  it('a new flag is at version 1, not started, live, created at the clock time, and audited as flag.create', async () => {
    const f = await create({ key: 'support-draft', tags: ['ai'] });
    expect(f).toMatchObject({ key: 'support-draft', version: 1, stage: 0, percent: 0, killed: false, archived: false, on: true, off: false, createdAt: '2026-06-01T09:00:00.000Z', createdBy: 'eng-erin' });
    expect(await auditActions('support-draft')).toEqual(['flag.create']);
    expect(w.events.filter((e) => e.type === 'flag')).toMatchObject([{ key: 'support-draft', flagVersion: 1, action: 'flag.create' }]);
  });

  it('on and off of different types are refused at the edge with the field named', () => {
    const r = createFlagSchema.safeParse({ key: 'mixed', owner: 'x', on: 'v2', off: false });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain('off');
  });

  it('a patch changing on to another type than off is refused and changes nothing', async () => {
    await create({ key: 'typed', on: 'v2', off: 'v1' });
    expect(await refusal(patch('typed', { version: 1, on: 3 }))).toMatchObject({ status: 400, details: [{ path: 'on' }] });
    expect(await w.flags.get('typed')).toMatchObject({ version: 1, on: 'v2' });
  });

  it('a second flag with the same key is flag_exists, and an archived key is never reused', async () => {
    await create({ key: 'dup' });
    expect(await refusal(create({ key: 'dup' }))).toMatchObject({ status: 409, code: 'flag_exists', message: 'flag "dup" already exists' });
    await w.flags.archive(actor('admin'), 'dup', 'gone', undefined);
    expect((await refusal(create({ key: 'dup' })))!.message).toContain('flag keys are never reused');
  });

  it('a patch with the current version applies and bumps the version; a stale one is version_conflict and changes nothing', async () => {
    await create({ key: 'patchme' });
    expect(await patch('patchme', { version: 1, description: 'new' })).toMatchObject({ version: 2, description: 'new' });
    expect(await refusal(patch('patchme', { version: 1, description: 'stale' }))).toMatchObject({ status: 409, code: 'version_conflict' });
    expect(await w.flags.get('patchme')).toMatchObject({ version: 2, description: 'new' });
    expect(await auditActions('patchme')).toEqual(['flag.update', 'flag.create']);
  });

  it('an archived flag leaves the list, stays readable, and refuses further changes', async () => {
    await create({ key: 'old' });
    await create({ key: 'kept' });
    await w.flags.archive(actor('admin'), 'old', 'unused', undefined);
    expect((await w.flags.list({})).map((f) => f.key)).toEqual(['kept']);
    expect((await w.flags.list({ includeArchived: true })).map((f) => f.key).sort()).toEqual(['kept', 'old']);
    expect((await w.flags.get('old')).archived).toBe(true);
    expect(await refusal(patch('old', { version: 2, description: 'x' }))).toMatchObject({ status: 404 });
  });

  it('the list filters by tag and owner', async () => {
    await create({ key: 'a', tags: ['ai'], owner: 'team-a' });
    await create({ key: 'b', tags: ['payments'], owner: 'team-a' });
    await create({ key: 'c', tags: ['ai'], owner: 'team-c' });
    expect((await w.flags.list({ tag: 'ai' })).map((f) => f.key)).toEqual(['a', 'c']);
    expect((await w.flags.list({ owner: 'team-a' })).map((f) => f.key)).toEqual(['a', 'b']);
  });

  it('an unknown flag is not_found', async () => {
    expect(await refusal(w.flags.get('nope'))).toMatchObject({ status: 404, code: 'not_found' });
  });
});
