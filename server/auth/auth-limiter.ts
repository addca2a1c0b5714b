import crypto from 'node:crypto';
import { AppError } from '../errors.js';

export class TooManyAuthFailures extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'too_many_auth_failures', `too many failed authentication attempts from this address; try again in ${retryAfterSeconds}s`, undefined, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}

/** A short, non-reversible name for a presented credential, so the limiter never holds one. */
export function fingerprint(credential: string): string {
  return crypto.createHash('sha256').update(credential).digest('base64url').slice(0, 22);
}

/**
 * What the authenticator asks (server/auth/auth-middleware.ts). The two refusals are synchronous
 * and read only this process's memory, so a request costs no lookup; only `fail`, after a
 * credential did not verify, may wait for the store the replicas share.
 */
export interface AuthLimiter {
  refuseAnonymous(address: string): void;
  refuseCredential(credential: string): void;
  fail(address: string, credential: string | undefined): void | Promise<void>;
}

interface Window {
  start: number;
  failures: number;
}

/**
 * Counts failed authentications in a fixed window, per client address and per credential
 * fingerprint. It never refuses a credential that verifies: the authenticator asks
 * `refuseAnonymous` before anything is read (no credential from an address over the limit),
 * `refuseCredential` for a credential that has itself failed too often (a leaked, expired
 * token in a retry loop), and `refuseFailure` only after a credential did not verify.
 * Memory is bounded: at most `maxEntries` windows; past that, expired ones go, then the oldest.
 */
export class AuthFailureLimiter implements AuthLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limit = 20,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  get size(): number {
    return this.windows.size;
  }

  /** Throws TooManyAuthFailures when `address` is over the limit: for requests without a credential. */
  refuseAnonymous(address: string): void {
    this.refuse(`a:${address}`);
  }

  /** Throws when this credential itself has failed too often (from any address). */
  refuseCredential(credential: string): void {
    this.refuse(`c:${fingerprint(credential)}`);
  }

  /**
   * Counts a failure; throws TooManyAuthFailures (instead of the caller's 401) when the
   * address or the credential was already at the limit before this one.
   */
  fail(address: string, credential: string | undefined): void {
    const retry = Math.max(this.count(`a:${address}`), credential === undefined ? 0 : this.count(`c:${fingerprint(credential)}`));
    if (retry > 0) throw new TooManyAuthFailures(retry);
  }

  /** Seconds until `key`'s window ends when it is over the limit, else 0. */
  private overFor(key: string): number {
    const w = this.windows.get(key);
    if (!w) return 0;
    const elapsed = this.now() - w.start;
    if (elapsed >= this.windowMs) {
      this.windows.delete(key);
      return 0;
    }
    return w.failures >= this.limit ? Math.max(1, Math.ceil((this.windowMs - elapsed) / 1000)) : 0;
  }

  private refuse(key: string): void {
    const retry = this.overFor(key);
    if (retry > 0) throw new TooManyAuthFailures(retry);
  }

  /** Adds one failure to `key`; returns the Retry-After seconds when the key had already reached the limit. */
  private count(key: string): number {
    const t = this.now();
    const w = this.windows.get(key);
    if (!w || t - w.start >= this.windowMs) {
      this.windows.delete(key);
      this.windows.set(key, { start: t, failures: 1 });
      if (this.windows.size > this.maxEntries) this.evict(t);
      return 0;
    }
    w.failures++;
    return w.failures > this.limit ? Math.max(1, Math.ceil((this.windowMs - (t - w.start)) / 1000)) : 0;
  }

  /** Expired windows first; if that is not enough, the oldest (Map order is insertion order, and a new window is re-inserted). */
  private evict(t: number): void {
    for (const [k, w] of this.windows) if (t - w.start >= this.windowMs) this.windows.delete(k);
    // Down to 90% at once, so a flood of new addresses does not sweep the map on every failure.
    const target = Math.floor(this.maxEntries * 0.9);
    for (const k of this.windows.keys()) {
      if (this.windows.size <= target) break;
      this.windows.delete(k);
    }
  }
}
