import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cachingPrepares } from './sqlite-statement-cache.js';

function counted() {
  const raw = new SQLite(':memory:');
  raw.exec('create table t (a integer)');
  raw.exec('insert into t values (1), (2), (3)');
  let prepared = 0;
  const prepare = raw.prepare.bind(raw);
  raw.prepare = ((s: string) => (prepared++, prepare(s))) as typeof raw.prepare;
  return { raw, prepared: () => prepared };
}

describe('the SQLite statement cache', () => {
  it('prepares a SQL text once and hands the same statement back while it is idle', () => {
    const { raw, prepared } = counted();
    const db = cachingPrepares(raw);
    for (let i = 0; i < 5; i++) expect(db.prepare('select a from t order by a').all()).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    db.prepare('insert into t values (?)').run(4);
    db.prepare('insert into t values (?)').run(5);
    expect(prepared()).toBe(2);
    expect(db.prepare('select count(*) as n from t').get()).toEqual({ n: 5 });
    expect(db.inTransaction).toBe(false);
    db.close();
    expect(raw.open).toBe(false);
  });

  it('a statement still iterating is not handed out again: the same text gets a fresh statement', () => {
    const { raw } = counted();
    const db = cachingPrepares(raw);
    const first = db.prepare('select a from t order by a');
    const rows = first.iterate();
    expect(rows.next().value).toEqual({ a: 1 });
    const second = db.prepare('select a from t order by a');
    expect(second).not.toBe(first);
    expect(second.all()).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect([...rows]).toEqual([{ a: 2 }, { a: 3 }]);
    expect(db.prepare('select a from t order by a')).toBe(first);
  });

  it('keeps at most `size` texts, dropping the least recently used', () => {
    const { raw, prepared } = counted();
    const db = cachingPrepares(raw, 2);
    db.prepare('select 1');
    db.prepare('select 2');
    db.prepare('select 1'); // 1 is now the most recent
    db.prepare('select 3'); // drops 2
    expect(prepared()).toBe(3);
    db.prepare('select 1');
    expect(prepared()).toBe(3);
    db.prepare('select 2');
    expect(prepared()).toBe(4);
  });
});
