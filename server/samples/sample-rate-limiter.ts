import { RateLimited } from '../errors.js';

/**
 * A budget per reporting token per second (a token bucket holding `capacity`, default one
 * second's worth): a batch that does not fit is refused whole with 429 and a `Retry-After` of
 * when it would fit. Ingestion keeps two: samples (rows written, SAMPLES_RATE_LIMIT) and
 * observations (the `count` the samples claim, SAMPLES_OBSERVATION_LIMIT), so a token cannot
 * claim more evidence per second than it may send. Time is the server's monotonic reading, so a
 * clock step neither refills nor drains a bucket. The buckets are bounded: the least recently
 * used one is forgotten past `maxKeys` (a forgotten bucket starts full, which only ever errs
 * towards accepting).
 */
export class SampleRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly perSecond: number,
    private readonly now: () => number,
    private readonly maxKeys = 10_000,
    /** What one unit is: `samples` or `observations` (the 429's wording and details). */
    readonly unit: 'samples' | 'observations' = 'samples',
    /** The most a bucket holds (at least one second's worth). */
    readonly capacity = perSecond,
  ) {}

  /** Throws RateLimited if `n` do not fit in `key`'s bucket now; takes nothing. */
  check(key: string, n: number): void {
    const b = this.refill(key);
    if (n <= b.tokens) return;
    throw sampleRateLimited(this.unit, this.perSecond, n, Math.max(1, Math.ceil((n - b.tokens) / this.perSecond)));
  }

  /** Takes `n` from `key`'s bucket, or throws RateLimited and takes nothing. */
  take(key: string, n: number): void {
    this.check(key, n);
    this.buckets.get(key)!.tokens -= n;
  }

  private refill(key: string): { tokens: number; at: number } {
    const t = this.now();
    const cap = Math.max(this.capacity, this.perSecond);
    const b = this.buckets.get(key) ?? { tokens: cap, at: t };
    b.tokens = Math.min(cap, b.tokens + (Math.max(0, t - b.at) / 1000) * this.perSecond);
    b.at = t;
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    return b;
  }

  get size(): number {
    return this.buckets.size;
  }
}

/** The 429 of a batch that does not fit a token's budget of `unit` per second (in memory or shared). */
export function sampleRateLimited(unit: 'samples' | 'observations', perSecond: number, n: number, retryAfter: number): RateLimited {
  const what = unit === 'samples' ? 'metric samples' : 'observations (the samples\' counts)';
  return new RateLimited(
    'metrics_rate_limited',
    `this token may send ${perSecond} ${what} per second; this batch of ${n} does not fit now, try again in ${retryAfter}s (nothing was stored)`,
    retryAfter,
    { limitPerSecond: perSecond, [unit]: n, retryAfterSeconds: retryAfter },
  );
}
