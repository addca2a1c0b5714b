import crypto from 'node:crypto';
import type { AuditTable } from '../storage/schema.js';

/** The previous hash of the very first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The stored columns of one entry that the hash covers (JSON columns as their stored text). */
export type HashedFields = Omit<AuditTable, 'prev_hash' | 'hash'>;

/**
 * hash = SHA-256 hex of `prevHash` + "\n" + the JSON array of the entry's fields in a fixed
 * order. A fixed-order array needs no key sorting and is unambiguous (every field is a
 * JSON string, number or null), so any other implementation can recompute it.
 */
export function entryHash(prevHash: string, e: HashedFields): string {
  const canonical = JSON.stringify([
    e.seq,
    e.at,
    e.actor,
    e.role,
    e.action,
    e.flag,
    e.before,
    e.after,
    e.reason,
    e.request_id,
    // Added by migration 0013: only entries that carry one hash it, so older entries verify as they were.
    // Added by migration 0024: an entry naming its environment hashes both (the request id slot
    // null when none), so older entries verify as they were and neither can pass for the other.
    ...(e.environment === undefined || e.environment === null
      ? e.client_request_id === undefined || e.client_request_id === null ? [] : [e.client_request_id]
      : [e.client_request_id ?? null, e.environment]),
  ]);
  return crypto.createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

/** JSON with object keys sorted, so before/after text is stable whatever built the object. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v as Record<string, unknown>).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}
