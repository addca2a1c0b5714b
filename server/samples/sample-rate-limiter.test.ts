import { describe, expect, it } from 'vitest';
import { RateLimited } from '../errors.js';
import { SampleRateLimiter } from './sample-rate-limiter.js';

describe('SampleRateLimiter', () => {
  it('lets a token send one second of samples at once, then refuses a batch with the seconds until it fits', () => {
    let now = 0;
    const l = new SampleRateLimiter(1000, () => now);
    l.take('a', 1000);
    let err: unknown;
    try {
      l.take('a', 500);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RateLimited);
    expect((err as RateLimited).headers).toEqual({ 'Retry-After': '1' });
    now = 400;
    expect(() => l.take('a', 500)).toThrow(RateLimited);
    now = 500;
    l.take('a', 500);
  });

  it('a refused batch takes nothing, and each token has its own bucket', () => {
    let now = 0;
    const l = new SampleRateLimiter(1000, () => now);
    l.take('a', 900);
    expect(() => l.take('a', 200)).toThrow(RateLimited);
    l.take('a', 100);
    l.take('b', 1000);
    now = 3000;
    expect(() => l.take('a', 1001)).toThrow(/1000 metric samples per second/);
  });

  it('forgets the least recently used bucket past its size bound', () => {
    const l = new SampleRateLimiter(1000, () => 0, 3);
    for (const k of ['a', 'b', 'c', 'd']) l.take(k, 1000);
    expect(l.size).toBe(3);
    // 'a' was forgotten (starts full again); 'd' was not.
    l.take('a', 1000);
    expect(() => l.take('d', 1)).toThrow(RateLimited);
  });
});
