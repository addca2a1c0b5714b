import type SQLite from 'better-sqlite3';

/** Distinct SQL texts kept prepared (an `in (...)` list of each length is its own text). */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * The better-sqlite3 handle Kysely's SQLite driver is given, with `prepare` reusing the statement
 * last prepared for the same SQL text (least recently used out beyond `size`). Kysely's driver
 * prepares every statement anew, which was 6.7% of the server's CPU during a metric flood
 * (docs/performance.md §17). A statement still iterating (a streamed select) is never handed out
 * twice: a fresh one is prepared instead. SQLite re-prepares a cached statement by itself after a
 * schema change (sqlite3_prepare_v2).
 */
export function cachingPrepares(sqlite: SQLite.Database, size = STATEMENT_CACHE_SIZE): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = (source: string): SQLite.Statement => {
    const hit = cache.get(source);
    if (hit && !hit.busy) {
      cache.delete(source);
      cache.set(source, hit);
      return hit;
    }
    const stmt = sqlite.prepare(source);
    if (!hit) {
      cache.set(source, stmt);
      if (cache.size > size) cache.delete(cache.keys().next().value!);
    }
    return stmt;
  };
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop === 'prepare') return prepare;
      if (prop === 'close') return () => (cache.clear(), target.close());
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
