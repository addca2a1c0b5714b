import { RateLimited } from '../errors.js';

/**
 * Samples per second per reporting token (a token bucket holding one second's worth): a batch
 * that does not fit is refused whole with 429 and a `Retry-After` of when it would fit. Time is
 * the server's monotonic reading, so a clock step neither refills nor drains a bucket. The
 * buckets are bounded: the least recently used one is forgotten past `maxKeys` (a forgotten
 * bucket starts full, which only ever errs towards accepting).
 */
export class SampleRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly perSecond: number,
    private readonly now: () => number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes `n` samples from `key`'s bucket, or throws RateLimited and takes nothing. */
  take(key: string, n: number): void {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.perSecond, at: t };
    b.tokens = Math.min(this.perSecond, b.tokens + (Math.max(0, t - b.at) / 1000) * this.perSecond);
    b.at = t;
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    if (n > b.tokens) {
      const retryAfter = Math.max(1, Math.ceil((n - b.tokens) / this.perSecond));
      throw new RateLimited(
        'metrics_rate_limited',
        `this token may send ${this.perSecond} metric samples per second; this batch of ${n} does not fit now, try again in ${retryAfter}s (nothing was stored)`,
        retryAfter,
        { limitPerSecond: this.perSecond, samples: n, retryAfterSeconds: retryAfter },
      );
    }
    b.tokens -= n;
  }

  get size(): number {
    return this.buckets.size;
  }
}
