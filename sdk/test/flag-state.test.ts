import { describe, expect, it } from 'vitest';
import { murmur3, saltSeed } from '../src/bucket.js';
import type { Reach } from '../src/client-types.js';
import { createFlags } from '../src/flag-state.js';
import type { FlagState } from '../src/protocol.js';

const flag = (key: string, extra: Partial<FlagState> = {}): FlagState => ({
  key, version: 1, on: true, off: false, salt: `${key}.salt`, killed: false, paused: false, stage: 1, percent: 100, cohort: [], ...extra,
});

describe('the flag state (snapshot and changes, prepared flags)', () => {
  it('a snapshot replaces everything and names the flags added, changed or gone; the same versions change nothing', () => {
    const flags = createFlags();
    expect(flags.receive({ type: 'snapshot', version: 4, flags: [flag('a'), flag('b')] })).toEqual(['a', 'b']);
    expect(flags.version).toBe(4);
    expect(flags.receive({ type: 'snapshot', version: 6, flags: [flag('a'), flag('c', { version: 2 })] })).toEqual(['c', 'b']);
    expect(flags.read.snapshot()).toEqual({ version: 6, flags: [flag('a'), flag('c', { version: 2 })] });
    expect(flags.receive({ type: 'snapshot', version: 7, flags: [flag('a'), flag('c', { version: 2 })] })).toEqual([]);
    expect(flags.version).toBe(7);
  });

  it('changes replace by key and delete the removed; an old one changes nothing; one past the version held is a gap (null)', () => {
    const flags = createFlags();
    flags.receive({ type: 'snapshot', version: 4, flags: [flag('a'), flag('b')] });
    expect(flags.receive({ type: 'changes', since: 4, version: 5, flags: [flag('a', { version: 2, killed: true })], removed: ['b'] })).toEqual(['a', 'b']);
    expect(flags.read.snapshot()).toEqual({ version: 5, flags: [flag('a', { version: 2, killed: true })] });
    expect(flags.receive({ type: 'changes', since: 3, version: 5, flags: [flag('z')], removed: ['a'] })).toEqual([]);
    expect(flags.receive({ type: 'changes', since: 6, version: 7, flags: [flag('z')], removed: [] })).toBeNull();
    expect(flags.read.snapshot()).toEqual({ version: 5, flags: [flag('a', { version: 2, killed: true })] });
  });

  it("serves a flag's value, the caller's fallback for an unknown flag or another type, and counts each per flag and stage", () => {
    const flags = createFlags();
    flags.receive({ type: 'snapshot', version: 1, flags: [flag('on'), flag('model', { on: { m: 'b' }, off: { m: 'a' } }), flag('dead', { killed: true })] });
    expect(flags.read.isEnabled('on', { key: 'u' })).toBe(true);
    expect(flags.read.isEnabled('dead', { key: 'u' })).toBe(false);
    expect(flags.read.isEnabled('nope')).toBe(false);
    expect(flags.read.value('model', undefined, { m: 'x' })).toEqual({ m: 'b' });
    expect(flags.read.value('model', undefined, ['x'])).toEqual(['x']); // an object, not an array: the fallback
    expect(flags.read.value('on', undefined, 'text')).toBe('text');
    expect(flags.read.evaluate('dead', {})).toMatchObject({ value: false, reason: 'KILLED' });
    expect(flags.takeCounts()).toEqual([
      { key: 'on', stage: 1, on: 1, off: 0, fallback: 1 },
      { key: 'model', stage: 1, on: 1, off: 0, fallback: 1 },
      { key: 'dead', stage: 1, on: 0, off: 2, fallback: 0 },
    ]);
    expect(flags.takeCounts()).toEqual([]);
  });

  it('keeps counts with a flag changed at the same stage and sets aside those of a flag moved to another stage or removed', () => {
    const flags = createFlags();
    flags.receive({ type: 'snapshot', version: 1, flags: [flag('a'), flag('b'), flag('c')] });
    for (const k of ['a', 'b', 'c']) flags.read.isEnabled(k, { key: 'u' });
    flags.receive({ type: 'changes', since: 1, version: 2, flags: [flag('a', { version: 2 }), flag('b', { version: 2, stage: 2 })], removed: ['c'] });
    flags.read.isEnabled('b', { key: 'u' });
    expect(flags.takeCounts()).toEqual([
      { key: 'b', stage: 1, on: 1, off: 0, fallback: 0 },
      { key: 'c', stage: 1, on: 1, off: 0, fallback: 0 },
      { key: 'a', stage: 1, on: 1, off: 0, fallback: 0 },
      { key: 'b', stage: 2, on: 1, off: 0, fallback: 0 },
    ]);
  });

  it('hands the reach sketch the hash a partial rollout computed for the key, and no hash at 100%', () => {
    const added: Array<[string, unknown, number | undefined]> = [];
    const reach: Reach = { add: (p, ctx, hashed) => void added.push([p.f.key, ctx, hashed]), send: () => {} };
    const flags = createFlags(reach);
    flags.receive({ type: 'snapshot', version: 1, flags: [flag('half', { percent: 50 }), flag('all')] });
    const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const served = keys.filter((key) => flags.read.isEnabled('half', { key }));
    expect(served.length).toBeGreaterThan(0);
    expect(served.length).toBeLessThan(keys.length);
    const seed = saltSeed('half.salt');
    expect(added.map(([, , h]) => h)).toEqual(served.map((key) => murmur3(key, seed) >>> 2));
    added.length = 0;
    flags.read.isEnabled('all', { key: 'user-1' });
    expect(added).toEqual([['all', { key: 'user-1' }, expect.any(Number)]]); // at 100% reach hashes the key itself (p.seed is 0)
    expect(flags.read.evaluate('half', { key: served[0]! })).toMatchObject({ reason: 'ROLLOUT_IN' });
    expect(added.at(-1)![2]).toBe(murmur3(served[0]!, seed) >>> 2);
  });
});
