import { describe, expect, it } from 'vitest';
import { StreamBudget, type StreamCap, type StreamKind } from '../../server/push/stream-budget.js';

/** A budget whose streams record why they were closed, by name. */
function budget(limits: { total: number; perKey: number; perAddress: number; perUser: number }) {
  const closed: Array<[string, StreamCap]> = [];
  const evictions: Array<[StreamCap, StreamKind]> = [];
  const b = new StreamBudget(limits, (cap, kind) => evictions.push([cap, kind]));
  const open = (name: string, kind: StreamKind, credential: string, address: string) => b.admit(kind, credential, address, (cap) => closed.push([name, cap]));
  return { b, open, closed, evictions };
}

describe('the stream budget', () => {
  it('a newcomer is always let in: a key past its share loses its oldest stream', () => {
    const { b, open, closed, evictions } = budget({ total: 100, perKey: 2, perAddress: 100, perUser: 100 });
    open('a', 'sdk', 'key:1', '10.0.0.1');
    open('b', 'ofrep', 'key:1', '10.0.0.2');
    open('c', 'sdk', 'key:1', '10.0.0.3');
    expect(closed).toEqual([['a', 'key']]);
    expect(evictions).toEqual([['key', 'sdk']]);
    expect(b.size).toBe(2);
  });

  it('an address past its share loses its oldest stream of the newcomer\'s own credential first, so one key\'s flood does not evict another key behind the same address', () => {
    const { open, closed } = budget({ total: 100, perKey: 100, perAddress: 3, perUser: 100 });
    open('app', 'sdk', 'key:app', 'nat');
    open('f1', 'ofrep', 'key:flood', 'nat');
    open('f2', 'ofrep', 'key:flood', 'nat');
    open('f3', 'ofrep', 'key:flood', 'nat');
    open('f4', 'ofrep', 'key:flood', 'nat');
    expect(closed).toEqual([['f1', 'address'], ['f2', 'address']]);
    // A credential with nothing at the address takes the address's oldest.
    open('other', 'sdk', 'key:other', 'nat');
    expect(closed.at(-1)).toEqual(['app', 'address']);
  });

  it('a full budget evicts the oldest stream of the credential holding the most', () => {
    const { b, open, closed } = budget({ total: 4, perKey: 10, perAddress: 10, perUser: 10 });
    open('small', 'sdk', 'key:small', 'a');
    open('big1', 'ofrep', 'key:big', 'b');
    open('big2', 'ofrep', 'key:big', 'c');
    open('big3', 'ofrep', 'key:big', 'd');
    open('new', 'sdk', 'key:small', 'e');
    expect(closed).toEqual([['big1', 'budget']]);
    expect(b.count('ofrep')).toBe(2);
    expect(b.count('sdk')).toBe(2);
  });

  it('admin streams count per user, under their own cap', () => {
    const { open, closed } = budget({ total: 100, perKey: 100, perAddress: 100, perUser: 1 });
    open('tab1', 'admin', 'user:ann', 'a');
    open('tab2', 'admin', 'user:ann', 'a');
    open('bob', 'admin', 'user:bob', 'a');
    expect(closed).toEqual([['tab1', 'user']]);
  });

  it('a released stream gives its place back once, however often it is released', () => {
    const { b, open } = budget({ total: 2, perKey: 2, perAddress: 2, perUser: 2 });
    const release = open('a', 'sdk', 'key:1', 'x');
    release();
    release();
    expect(b.size).toBe(0);
    expect(b.count('sdk')).toBe(0);
    expect(b.evictForConnection()).toBe(false);
    open('b', 'sdk', 'key:1', 'x');
    expect(b.evictForConnection()).toBe(true);
    expect(b.size).toBe(0);
  });
});
