import type { Kysely, Transaction } from 'kysely';

/**
 * Admits one write transaction at a time, urgent ones first. Safety actions (kill, restore,
 * rollback, pause, guardrail trips) are urgent: at most one transaction already running can
 * delay them, never the queue of metric batches or edits behind it. (Kysely's own connection
 * mutex is first-come first-served, so without this a kill waits for every write queued
 * before it.)
 */
export class WriteGate {
  private busy = false;
  private readonly urgent: Array<() => void> = [];
  private readonly normal: Array<() => void> = [];

  async run<T>(urgent: boolean, fn: () => Promise<T>): Promise<T> {
    if (this.busy) await new Promise<void>((admit) => (urgent ? this.urgent : this.normal).push(admit));
    this.busy = true;
    try {
      return await fn();
    } finally {
      // Hand over directly (staying busy) so nothing can slip in between.
      const next = this.urgent.shift() ?? this.normal.shift();
      if (next) next();
      else this.busy = false;
    }
  }

  /** Writes waiting now, urgent and not. */
  get waiting(): { urgent: number; normal: number } {
    return { urgent: this.urgent.length, normal: this.normal.length };
  }
}

const gates = new WeakMap<object, WriteGate>();

/** The one gate of a database handle: every write transaction on it goes through it. */
export function gateOf(db: Kysely<any>): WriteGate {
  let g = gates.get(db);
  if (!g) gates.set(db, (g = new WriteGate()));
  return g;
}

const reserved = new WeakMap<object, Kysely<any>>();

/**
 * PostgreSQL: `urgentDb` (its own small pool) runs the urgent write transactions of `db`, so a
 * kill never waits for a connection of a pool that reads or ingestion hold. SQLite has one
 * connection and the gate alone.
 */
export function reserveUrgent<DB>(db: Kysely<DB>, urgentDb: Kysely<DB>): void {
  reserved.set(db, urgentDb);
}

/** A write transaction through the database's gate; `urgent` for safety actions (on the reserved connections, where there are). */
export function writeTransaction<DB, T>(db: Kysely<DB>, urgent: boolean, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  const target = (urgent ? (reserved.get(db) as Kysely<DB> | undefined) : undefined) ?? db;
  return gateOf(db).run(urgent, () => target.transaction().execute(fn));
}
