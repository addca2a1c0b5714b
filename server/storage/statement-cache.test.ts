import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from './migrator.js';
import { openSqlite, type SqliteStorage } from './sqlite.js';
import SQLite from 'better-sqlite3';
import { StatementCache } from './statement-cache.js';

let storage: SqliteStorage | undefined;
afterEach(async () => storage?.close());

describe('SQLite prepared-statement reuse', () => {
  it('a query run again reuses its prepared statement, and every run still sees the rows as they are now', async () => {
    storage = openSqlite({ dbFile: ':memory:' });
    await migrate(storage.db);
    const read = () => storage!.db.selectFrom('meta').select(['key', 'value']).where('key', '=', 'k').execute();
    expect(await read()).toEqual([]);
    const before = storage.statements.prepared;
    for (let v = 1; v <= 5; v++) {
      await storage.db.insertInto('meta').values({ key: 'k', value: v }).onConflict((oc) => oc.column('key').doUpdateSet({ value: v })).execute();
      expect(await read()).toEqual([{ key: 'k', value: v }]);
    }
    // Five upserts and five more reads: the upsert prepared once, the read (prepared above) not again.
    expect(storage.statements.prepared - before).toBe(1);
  });

  it('transactions, rollbacks and a streamed read beside a query of the same text give the right results', async () => {
    storage = openSqlite({ dbFile: ':memory:' });
    await migrate(storage.db);
    await storage.db.insertInto('meta').values([{ key: 'a', value: 1 }, { key: 'b', value: 2 }]).execute();
    await expect(
      storage.write(false, async (trx) => {
        await trx.updateTable('meta').set({ value: 9 }).where('key', '=', 'a').execute();
        throw new Error('abandon');
      }),
    ).rejects.toThrow('abandon');
    const all = () => storage!.db.selectFrom('meta').select(['key', 'value']).where('key', 'in', ['a', 'b']).orderBy('key').execute();
    expect(await all()).toEqual([{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
    // Streamed (iterated) and then run whole: the same text, the same rows.
    const streamed: unknown[] = [];
    for await (const row of storage.db.selectFrom('meta').select(['key', 'value']).where('key', 'in', ['a', 'b']).orderBy('key').stream()) streamed.push(row);
    expect(streamed).toEqual([{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
    expect(await all()).toEqual([{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
  });

  it('the cache holds at most its bound, dropping the least recently used statement', () => {
    const sqlite = new SQLite(':memory:');
    const cache = new StatementCache(sqlite, 2);
    const a = cache.prepare('SELECT 1');
    cache.prepare('SELECT 2');
    expect(cache.prepare('SELECT 1')).toBe(a); // now the most recent
    cache.prepare('SELECT 3'); // drops SELECT 2
    expect(cache.size).toBe(2);
    expect(cache.prepare('SELECT 1')).toBe(a);
    const prepared = cache.prepared;
    cache.prepare('SELECT 2');
    expect(cache.prepared).toBe(prepared + 1);
    sqlite.close();
  });

  it('a statement still being iterated is not handed out again: the second caller gets a fresh one and both read every row', () => {
    const sqlite = new SQLite(':memory:');
    sqlite.exec('CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3)');
    const cache = new StatementCache(sqlite);
    const first = cache.prepare('SELECT n FROM t ORDER BY n');
    const outer: number[] = [];
    for (const row of first.iterate() as Iterable<{ n: number }>) {
      outer.push(row.n);
      const inner = cache.prepare('SELECT n FROM t ORDER BY n');
      expect(inner).not.toBe(first);
      expect((inner.all() as Array<{ n: number }>).map((r) => r.n)).toEqual([1, 2, 3]);
    }
    expect(outer).toEqual([1, 2, 3]);
    expect(cache.prepare('SELECT n FROM t ORDER BY n')).toBe(first);
    sqlite.close();
  });
});
