import { AppError } from '../errors.js';

export class TooManyAuthFailures extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'too_many_auth_failures', `too many failed authentication attempts from this address; try again in ${retryAfterSeconds}s`, undefined, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}

/**
 * Counts failed authentications per client address in a fixed window; past the limit the
 * address is refused (429) until the window ends, before any token is even looked at.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly limit = 20,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws TooManyAuthFailures when `address` is over the limit. */
  check(address: string): void {
    const w = this.windows.get(address);
    if (!w) return;
    const elapsed = this.now() - w.start;
    if (elapsed >= this.windowMs) {
      this.windows.delete(address);
      return;
    }
    if (w.failures >= this.limit) throw new TooManyAuthFailures(Math.ceil((this.windowMs - elapsed) / 1000));
  }

  fail(address: string): void {
    const t = this.now();
    const w = this.windows.get(address);
    if (!w || t - w.start >= this.windowMs) this.windows.set(address, { start: t, failures: 1 });
    else w.failures++;
    if (this.windows.size > 10_000) this.prune(t);
  }

  private prune(t: number): void {
    for (const [a, w] of this.windows) if (t - w.start >= this.windowMs) this.windows.delete(a);
  }
}
