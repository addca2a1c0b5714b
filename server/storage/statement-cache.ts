import type SQLite from 'better-sqlite3';

/** Prepared statements kept per connection: the server's queries are a few hundred shapes. */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * better-sqlite3 prepared statements by SQL text, least recently used dropped past `max`.
 * Kysely's SqliteDriver calls `prepare` for every query (6.8% of a metric flood's CPU profile);
 * handing it this object instead of the database makes a repeated query reuse its statement.
 * A statement still being iterated (a streamed SELECT) is never handed out twice: a fresh one is.
 */
export class StatementCache {
  private readonly statements = new Map<string, SQLite.Statement>();
  /** Statements prepared (cache misses); tests read it. */
  prepared = 0;

  constructor(
    private readonly sqlite: SQLite.Database,
    private readonly max = STATEMENT_CACHE_SIZE,
  ) {}

  prepare(text: string): SQLite.Statement {
    const hit = this.statements.get(text);
    if (hit && !hit.busy) {
      // Re-insert: a Map iterates in insertion order, so the first key is the least recently used.
      this.statements.delete(text);
      this.statements.set(text, hit);
      return hit;
    }
    this.prepared++;
    const stmt = this.sqlite.prepare(text);
    if (hit) return stmt; // the cached one is busy iterating: this one is used once
    this.statements.set(text, stmt);
    if (this.statements.size > this.max) this.statements.delete(this.statements.keys().next().value!);
    return stmt;
  }

  get size(): number {
    return this.statements.size;
  }

  /** Kysely's `SqliteDatabase`: `prepare` through the cache, `close` the database. */
  asDatabase(): { prepare: (text: string) => SQLite.Statement; close: () => void } {
    return {
      prepare: (text) => this.prepare(text),
      close: () => {
        this.statements.clear();
        this.sqlite.close();
      },
    };
  }
}
