/**
 * The fail-safe lease (docs/protocol.md, "The fail-safe lease"): a flag with `maxStaleSeconds`
 * serves its `off` value once the client has heard nothing from the server (no state, no
 * heartbeat) for longer, until it hears again. Pure: the client holds the time it last heard
 * and its timer; this module only says which leases have lapsed and when the next one will.
 */
import type { FlagState } from './protocol.js';

/** Why a client reports `stale` (`client.stale`). */
export interface StaleReport {
  /** `lease_lapsed`: some flags serve `off` because of their lease; `disconnected`: the server is away, last-known values are served. */
  reason: 'lease_lapsed' | 'disconnected';
  /** The flags serving their `off` value because their lease lapsed (empty when only disconnected). */
  flags: string[];
  /** When the client last heard from the server (ISO 8601), null if never since it started. */
  lastHeardAt: string | null;
  /** In words, e.g. "support-draft off (lease lapsed): no word from the server for 31 s". */
  message: string;
}

/** The lease of a flag state in ms, 0 for none (the same rule as `PreparedFlag.leaseMs`). */
export function leaseMs(f: Pick<FlagState, 'maxStaleSeconds'>): number {
  const s = f.maxStaleSeconds;
  return typeof s === 'number' && s > 0 && s < Infinity ? s * 1000 : 0;
}

/** Whether a lease of `lease` ms has lapsed at `now` for a client that last heard at `heardAt`. */
export function hasLapsed(lease: number, heardAt: number, now: number): boolean {
  return lease !== 0 && now - heardAt > lease;
}

/**
 * The flags whose lease has lapsed at `now` (sorted), and the next instant another one lapses
 * (Infinity when none will, short of hearing from the server).
 */
export function checkLeases(flags: Iterable<Pick<FlagState, 'key' | 'maxStaleSeconds'>>, heardAt: number, now: number): { lapsed: string[]; next: number } {
  const lapsed: string[] = [];
  let next = Infinity;
  for (const f of flags) {
    const lease = leaseMs(f);
    if (lease === 0) continue;
    if (hasLapsed(lease, heardAt, now)) lapsed.push(f.key);
    else next = Math.min(next, heardAt + lease + 1);
  }
  return { lapsed: lapsed.sort(), next };
}

/** The words of a stale report: "support-draft off (lease lapsed): no word from the server for 31 s". */
export function staleMessage(lapsed: string[], heardAt: number, now: number): string {
  const what = lapsed.length ? `${lapsed.join(', ')} off (lease lapsed)` : 'serving last-known values';
  return `${what}: no word from the server for ${Math.round((now - heardAt) / 1000)} s`;
}
