import type { Transaction } from 'kysely';
import type { Database, Db } from './storage/schema.js';
import type { Actor } from './actor.js';
import type { AuditInput, AuditRecorder } from './audit/audit-recorder.js';
import type { AuditEntry } from '@switchyard-flags/sdk/api';
import type { ChangeBus, ChangeEvent } from './changes.js';
import type { StorageLane } from './storage/storage.js';

export interface WriteDeps {
  db: Db;
  /** The write gate (and urgent lane) every write transaction goes through. */
  storage: StorageLane;
  audit: AuditRecorder;
  bus: ChangeBus;
  /** Told how long each write transaction took, commit included (the metrics histogram). */
  observeWrite?: (seconds: number) => void;
}

export interface WriteContext {
  trx: Transaction<Database>;
  /** Appends an audit entry for `actor` inside this transaction. */
  record(input: AuditInput): Promise<AuditEntry>;
  /** Announces a change once the transaction has committed (never before, never on rollback). */
  announce(event: ChangeEvent): void;
}

/**
 * Every mutation runs through here: one transaction holding the change and its audit
 * entries, and the announcements published only after it committed.
 */
export async function write<T>(
  deps: WriteDeps,
  actor: Actor,
  fn: (ctx: WriteContext) => Promise<T>,
  opts: { urgent?: boolean } = {},
): Promise<T> {
  const pending: ChangeEvent[] = [];
  const start = deps.observeWrite ? process.hrtime.bigint() : 0n;
  const result = await deps.storage.write(opts.urgent ?? false, async (trx) => {
    // Before anything is read: on PostgreSQL this waits for an audited write of another replica
    // to commit, so the rules below see what it wrote and the chain head is the latest.
    await deps.audit.begin(trx);
    const ctx: WriteContext = {
      trx,
      async record(input) {
        const entry = await deps.audit.record(trx, actor, input);
        pending.push({ type: 'audit', entry });
        return entry;
      },
      announce(event) {
        pending.push(event);
      },
    };
    return fn(ctx);
  });
  if (deps.observeWrite) deps.observeWrite(Number(process.hrtime.bigint() - start) / 1e9);
  // Flag changes first: the push path should not wait behind audit fan-out.
  for (const e of pending) if (e.type === 'flag') deps.bus.publish(e);
  for (const e of pending) if (e.type !== 'flag') deps.bus.publish(e);
  return result;
}
