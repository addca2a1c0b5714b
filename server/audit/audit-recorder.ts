import type { AuditEntry } from '@switchyard-flags/sdk/api';
import type { Transaction } from 'kysely';
import type { Database } from '../storage/schema.js';
import type { Actor } from '../actor.js';
import type { Clock } from '../clock.js';
import { GENESIS_HASH, canonicalJson, entryHash } from './audit-hash.js';
import { auditHead, insertAuditRow, toAuditEntry } from './audit-store.js';
import type { StorageLane } from '../storage/storage.js';

export interface AuditInput {
  action: string;
  flag?: string | null;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
  /** The environment of a flag action (issue 23); none for the server's own actions. */
  environment?: string | null;
}

/**
 * Appends hash-chained entries. It only ever runs inside the caller's transaction, so an
 * entry exists if and only if its change does. Transactions are serialised (one SQLite
 * connection; on PostgreSQL `begin()` takes the audit chain's advisory lock first in every
 * write transaction, so replicas appending at once still make one chain), so it never forks.
 */
export class AuditRecorder {
  constructor(
    private readonly clock: Clock,
    private readonly storage: Pick<StorageLane, 'lock'>,
  ) {}

  /** First statement of every write transaction that may record (`write()` calls it). */
  async begin(trx: Transaction<Database>): Promise<void> {
    await this.storage.lock(trx, 'audit-chain');
  }

  async record(trx: Transaction<Database>, actor: Actor, input: AuditInput): Promise<AuditEntry> {
    const head = await auditHead(trx);
    const row = {
      seq: (head?.seq ?? 0) + 1,
      at: this.clock().toISOString(),
      actor: actor.sub,
      role: actor.role,
      action: input.action,
      flag: input.flag ?? null,
      before: input.before === undefined || input.before === null ? null : canonicalJson(input.before),
      after: input.after === undefined || input.after === null ? null : canonicalJson(input.after),
      reason: input.reason ?? null,
      request_id: actor.requestId,
      client_request_id: actor.clientRequestId ?? null,
      environment: input.environment ?? null,
      prev_hash: head?.hash ?? GENESIS_HASH,
      hash: '',
    };
    row.hash = entryHash(row.prev_hash, row);
    await insertAuditRow(trx, row);
    return toAuditEntry(row);
  }
}
