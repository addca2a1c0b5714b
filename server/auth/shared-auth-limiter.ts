import type { Counted, LimitStores, WindowCounter } from '../limits/limit-stores.js';
import { AuthFailureLimiter, fingerprint, TooManyAuthFailures, type AuthLimiter } from './auth-limiter.js';

/** AUTH_FAILURE_LIMIT per `windowMs`: counted across the replicas when limits count in PostgreSQL, else in this process. */
export function authFailureLimiter(limit: number, stores: LimitStores, now: () => number = Date.now, onStoreError?: (err: unknown) => void, windowMs = 60_000): AuthLimiter {
  const shared = stores.windows('auth', limit, windowMs, now);
  return shared ? new SharedAuthFailureLimiter(shared, limit, now, onStoreError) : new AuthFailureLimiter(limit, windowMs, now);
}

/**
 * AUTH_FAILURE_LIMIT across the replicas of a cluster: failures are counted in the shared
 * store (one PostgreSQL round trip, only when a credential did not verify), per client address
 * and per credential fingerprint, in fixed windows every replica agrees on. A key found at the
 * limit is remembered here until its window ends, so this replica's cheap refusals (before any
 * lookup) stay in memory; a replica that has not yet seen a key at the limit refuses at the
 * key's next failure instead (429 in place of the 401), so the total is the same either way.
 * Should the store fail, failures count in this process as on one node, and the caller is told.
 */
export class SharedAuthFailureLimiter implements AuthLimiter {
  /** Keys seen at the limit: until when (by `now`). Bounded like the in-memory limiter. */
  private readonly blocked = new Map<string, number>();
  private readonly local: AuthFailureLimiter;

  constructor(
    private readonly counter: WindowCounter,
    private readonly limit: number,
    private readonly now: () => number,
    private readonly onStoreError?: (err: unknown) => void,
    private readonly maxEntries = 10_000,
  ) {
    this.local = new AuthFailureLimiter(limit, counter.windowMs, now, maxEntries);
  }

  get size(): number {
    return this.blocked.size;
  }

  refuseAnonymous(address: string): void {
    this.refuse(`a:${address}`);
    this.local.refuseAnonymous(address);
  }

  refuseCredential(credential: string): void {
    this.refuse(`c:${fingerprint(credential)}`);
    this.local.refuseCredential(credential);
  }

  async fail(address: string, credential: string | undefined): Promise<void> {
    const keys = [`a:${address}`, ...(credential === undefined ? [] : [`c:${fingerprint(credential)}`])];
    let counted: Counted[];
    try {
      counted = await Promise.all(keys.map((k) => this.counter.add(k, 1)));
    } catch (err) {
      this.onStoreError?.(err);
      this.local.fail(address, credential);
      return;
    }
    let retry = 0;
    for (const [i, c] of counted.entries()) {
      if (c.count >= this.limit) this.block(keys[i]!, c.msLeft);
      if (c.count > this.limit) retry = Math.max(retry, seconds(c.msLeft));
    }
    if (retry > 0) throw new TooManyAuthFailures(retry);
  }

  private refuse(key: string): void {
    const until = this.blocked.get(key);
    if (until === undefined) return;
    const left = until - this.now();
    if (left <= 0) {
      this.blocked.delete(key);
      return;
    }
    throw new TooManyAuthFailures(seconds(left));
  }

  private block(key: string, msLeft: number): void {
    this.blocked.delete(key);
    this.blocked.set(key, this.now() + msLeft);
    // The oldest entry goes first (Map order is insertion order): at worst a key is refused one failure later.
    while (this.blocked.size > this.maxEntries) this.blocked.delete(this.blocked.keys().next().value!);
  }
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
